"""Spectrum preview generation, and DataLink / SODA / preview latency of a running service.

Usage: python benchmarks/bench_datalink.py [--spectra 10] [--url http://127.0.0.1:8000]
                                           [--ids 50] [--repeat 3]

1. Without a server: draws the preview PNG of ``--spectra`` synthetic SOXS visits (UV-VIS,
   NIR and merged spectra as the demo writes them: 25,000 / 20,000 / ~45,000 pixels) with
   :func:`soxsvo.preview.plot.render_preview`; prints the median time per spectrum and arm.
2. With ``--url``: takes ``--ids`` publisher DIDs from the service's own TAP ObsCore table and
   times, one client, ``--repeat`` rounds each: ``/datalink/links`` for one ID, for all IDs in
   one request, a SODA cutout (50 nm as FITS), the first (drawing) and a cached preview request.
   Prints medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soxsvo.demo.spectra import synthesize_observation  # noqa: E402
from soxsvo.phase3.spectrum import write_phase3_spectrum  # noqa: E402
from soxsvo.preview.plot import render_preview  # noqa: E402


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(values) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms"


def bench_previews(spectra: int) -> None:
    rng = np.random.default_rng(1)
    times: dict[str, list[float]] = {"UVVIS": [], "NIR": [], "MERGED": []}
    with tempfile.TemporaryDirectory() as folder:
        for visit in range(spectra):
            observation = synthesize_observation(rng, mjd_obs=61000.1 + visit)
            for spectrum in observation:
                path = Path(folder) / f"{visit}_{spectrum.arm}.fits"
                write_phase3_spectrum(spectrum, path)
                start = time.perf_counter()
                png = render_preview(str(path))
                times[spectrum.arm].append(time.perf_counter() - start)
                assert png[:4] == b"\x89PNG"
    for arm, values in times.items():
        print(f"preview {arm:6s} ({len(values)} spectra): {_ms(values)}")
    every = [v for values in times.values() for v in values]
    print(f"preview, all spectra: {_ms(every)}")


def bench_service(url: str, n_ids: int, repeat: int) -> None:
    import pyvo
    import requests

    rows = pyvo.dal.TAPService(f"{url}/tap").run_sync(
        f"SELECT TOP {n_ids} obs_publisher_did, dp_id, em_min FROM ivoa.obscore "
        "ORDER BY obs_publisher_did")
    ids = [str(row["obs_publisher_did"]) for row in rows]
    session = requests.Session()
    single, batch, cutout, first, cached = [], [], [], [], []
    for _ in range(repeat):
        for did in ids:
            start = time.perf_counter()
            session.get(f"{url}/datalink/links", params={"ID": did}).raise_for_status()
            single.append(time.perf_counter() - start)
        start = time.perf_counter()
        session.get(f"{url}/datalink/links", params={"ID": ids}).raise_for_status()
        batch.append(time.perf_counter() - start)
    for row in rows:
        lo = float(row["em_min"]) + 20e-9
        start = time.perf_counter()
        session.get(f"{url}/soda/sync", params={"ID": str(row["obs_publisher_did"]),
                                                "BAND": f"{lo} {lo + 50e-9}"}).raise_for_status()
        cutout.append(time.perf_counter() - start)
        for times in (first, cached):
            start = time.perf_counter()
            answer = session.get(f"{url}/preview/{row['dp_id']}.png")
            times.append(time.perf_counter() - start)
            answer.raise_for_status()
    print(f"{len(ids)} products of {url}")
    print(f"datalink, one ID: {_ms(single)}")
    print(f"datalink, {len(ids)} IDs in one request: {_ms(batch)}")
    print(f"SODA cutout 50 nm, FITS: {_ms(cutout)}")
    print(f"preview, first request (drawn unless cached before): {_ms(first)}")
    print(f"preview, cached: {_ms(cached)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spectra", type=int, default=10, help="synthetic visits to preview")
    parser.add_argument("--url", help="base URL of a running soxsvo service")
    parser.add_argument("--ids", type=int, default=50, help="products to query")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of DataLink requests")
    args = parser.parse_args()
    if args.spectra:
        bench_previews(args.spectra)
    if args.url:
        bench_service(args.url.rstrip("/"), args.ids, args.repeat)


if __name__ == "__main__":
    main()
