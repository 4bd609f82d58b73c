"""Registration throughput of ``soxsvo ingest`` and latency of ``soxsvo watch``.

Usage: python benchmarks/bench_ingest.py [--files 2000] [--latency-files 40] [--skip-real]

Starts a private PostgreSQL cluster, then

1. writes ``--files`` valid Phase 3 spectra of real SOXS arm sizes (alternately UV-VIS, 25,000
   elements, and NIR, 20,000) and of small size (2,000 elements) into two folders, and times
   the ``soxsvo ingest FOLDER`` command (a subprocess: start-up, validation, copies, database)
   on each, then again (every file already registered); products per second = files / wall
   time, and the CPU time per file of the command (all its processes) and of PostgreSQL
   (what two cores can sustain when the machine is shared: 2,000 ms / CPU-ms per file);
2. runs a watcher (``soxsvo.archive.watch.Watcher``, default settle 1 s) on an empty folder
   and the web application (``create_app``, werkzeug, threaded) on a free port, writes
   real-size spectra into the folder one by one (0.3 s apart, their programme made public so
   that the TAP reader role sees them), and measures for each the time from the file's close
   to the moment a TAP query (``/tap/sync``, ADQL on ``ivoa.obscore`` by target name, polled
   every 20 ms over HTTP) returns its row. Prints the median and the 95th percentile.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import psycopg
from scratch import scratch_cluster

from soxsvo.archive.register import ArchiveConfig
from soxsvo.phase3.spectrum import Phase3Spectrum, write_phase3_spectrum

ARMS = {"UVVIS": (350.0, 0.02, 25_000), "NIR": (800.0, 0.06, 20_000)}


def spectrum(index: int, arm: str, n: int | None = None) -> Phase3Spectrum:
    """A valid spectrum of one arm; ``index`` makes its OB (hence obs_id) and bytes unique."""
    start, step, size = ARMS[arm]
    n = n or size
    rng = np.random.default_rng(index)
    wave = start + step * np.arange(n)
    flux = (1e-16 + 1e-17 * rng.standard_normal(n)).astype(np.float32)
    return Phase3Spectrum(
        wave=wave, flux=flux, err=np.full(n, 1e-17, np.float32), qual=np.zeros(n, np.int16),
        object=f"AT 2026b{index}", ra=float(rng.uniform(0, 360)), dec=float(rng.uniform(-80, 20)),
        arm=arm, mjd_obs=61000.1 + index * 1e-3, mjd_end=61000.11 + index * 1e-3,
        exptime=600.0, texptime=600.0, prog_id="116.28A1.001", obids=[5_000_000 + index],
        prov=[f"SOXS.2026-01-11T02:{index // 60 % 60:02d}:{index % 60:02d}.000.fits"],
        fluxerr=10.0,
    )


def write_folder(folder: Path, count: int, n: int | None, offset: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        arm = "UVVIS" if i % 2 == 0 else "NIR"
        write_phase3_spectrum(spectrum(offset + i, arm, n),
                              folder / f"s{offset + i:06d}_{arm}.fits")


def pg_cpu_seconds(cluster) -> float:
    """CPU seconds used so far by the PostgreSQL server: the postmaster, its live children
    (from /proc) and its exited children (backends of finished connections); Linux only."""
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = int((cluster.pgdata / "postmaster.pid").read_text().split()[0])

    def fields(pid):
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2:].split()  # after "(comm) "

    own = fields(postmaster)
    total = sum(int(v) for v in own[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = fields(entry.name)
            except OSError:
                continue
            if int(stat[1]) == postmaster:
                total += int(stat[11]) + int(stat[12])
    return total / tick


def time_cli_ingest(folder: Path, env: dict, count: int, cluster=None) -> float:
    """Products (or files) per second of ``soxsvo ingest FOLDER``; prints the CPU time per
    file of the command (all its processes) and of PostgreSQL."""
    children = os.times()
    pg = pg_cpu_seconds(cluster) if cluster is not None else 0.0
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "soxsvo.cli.main", "ingest", str(folder)],
                            env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = os.times()
    if result.returncode != 0:
        raise SystemExit(f"ingest failed:\n{result.stderr[-2000:]}")
    cpu = (after.children_user + after.children_system
           - children.children_user - children.children_system)
    line = f"  {result.stdout.strip().splitlines()[-1]}; CPU per file: {cpu / count * 1000:.2f} ms"
    if cluster is not None:
        line += f" soxsvo + {(pg_cpu_seconds(cluster) - pg) / count * 1000:.2f} ms PostgreSQL"
    print(line + f"; load average {os.getloadavg()[0]:.1f}")
    return count / elapsed


def _tap_finds(url: str, target: str) -> bool:
    query = urllib.parse.urlencode({
        "REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "csv",
        "QUERY": f"SELECT obs_publisher_did FROM ivoa.obscore WHERE target_name = '{target}'"})
    with urllib.request.urlopen(f"{url}/tap/sync?{query}", timeout=10) as answer:
        return len(answer.read().decode().strip().splitlines()) > 1  # header + a row


def watch_latency(root: Path, conninfo: str, settings, files: int,
                  offset: int) -> list[float]:
    from werkzeug.serving import make_server

    from soxsvo.archive.watch import Watcher
    from soxsvo.web.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per poll
    incoming, staging = root / "watched", root / "staging-watch"
    # Indexes after the ingest folders': observed before now, so public once registered.
    write_folder(staging, files, None, offset)
    with psycopg.connect(conninfo) as conn:  # public data: the TAP reader role sees them
        conn.execute("INSERT INTO soxs.programme (proposal_id, proprietary_months) VALUES "
                     "('116.28A1.001', 0) ON CONFLICT (proposal_id) DO UPDATE "
                     "SET proprietary_months = 0")
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watcher = Watcher(incoming, ArchiveConfig.from_settings(settings),
                      lambda: psycopg.connect(conninfo)).start()
    latencies: list[float] = []
    try:
        for index, path in enumerate(sorted(staging.iterdir())):
            blob = path.read_bytes()
            target = incoming / path.name
            with target.open("wb") as handle:  # written in place, like a pipeline would
                handle.write(blob)
            closed = time.perf_counter()
            while not _tap_finds(url, f"AT 2026b{offset + index}"):
                if time.perf_counter() - closed > 30:
                    raise SystemExit(f"{path.name} not found by TAP after 30 s")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - closed)
            time.sleep(0.3)
    finally:
        watcher.stop()
        server.shutdown()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--latency-files", type=int, default=40)
    parser.add_argument("--skip-real", action="store_true", help="Only the small spectra.")
    args = parser.parse_args()
    with scratch_cluster("sxi-") as (root, cluster):
        env = dict(os.environ, SOXSVO_DATABASE_URL=cluster.conninfo(),
                   SOXSVO_DATA_DIR=str(root / "data"))
        print(f"cpus: {os.cpu_count()}, files per folder: {args.files}")
        sizes = [("small (2,000 elements)", 2_000)]
        if not args.skip_real:
            sizes.append(("real (25,000 UV-VIS / 20,000 NIR)", None))
        for k, (label, n) in enumerate(sizes):
            folder = root / f"in{k}"
            write_folder(folder, args.files, n, k * args.files)
            mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            print(f"{label}: {mb:.0f} MB")
            rate = time_cli_ingest(folder, env, args.files, cluster)
            print(f"  soxsvo ingest: {rate:.0f} products/s")
            rate = time_cli_ingest(folder, env, args.files, cluster)
            print(f"  again (all already registered): {rate:.0f} files/s")
        if args.latency_files:
            from soxsvo.config import load_settings

            settings = load_settings({"SOXSVO_DATA_DIR": str(root / "data"),
                                      "SOXSVO_DATABASE_URL": cluster.conninfo()})
            lat = watch_latency(root, cluster.conninfo(), settings, args.latency_files,
                                offset=2 * args.files + 1)
            print(f"watch: close -> row answering a TAP query, {len(lat)} real-size files: "
                  f"median {statistics.median(lat) * 1000:.0f} ms, "
                  f"p95 {np.percentile(lat, 95) * 1000:.0f} ms")


if __name__ == "__main__":
    threading.excepthook = lambda exc: print(f"thread error: {exc.exc_value!r}", file=sys.stderr)
    main()
