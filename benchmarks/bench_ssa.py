"""SSA benchmark: queryData latency on a large archive and getData throughput.

Usage:
  SOXSVO_DATA_DIR=... python benchmarks/bench_ssa.py fill [--spectra 100000]
  python benchmarks/bench_ssa.py run http://127.0.0.1:8000 [--queries 200] [--clients 8]
                                     [--seconds 20]
  SOXSVO_DATA_DIR=... python benchmarks/bench_ssa.py clean

``fill`` adds synthetic ObsCore spectrum rows (and their product rows) in bulk with SQL, to the
archive of the configured data dir or ``SOXSVO_DATABASE_URL`` (released, spread uniformly over
the sky and three years, ``dp_id`` BENCH.n) — only this benchmark writes rows that way; they
all point at one real archived file so that getData could serve them. ``clean`` removes them.
``run`` times queryData (cone 30 arcmin, cone + BAND, TIME one night + BAND, TARGETNAME) from
one client, then getData (FITS as archived and SDM VOTable) of released spectra from
``--clients`` threads.
"""

from __future__ import annotations

import argparse
import io
import statistics
import threading
import time

import astropy.units as u
import numpy as np
import requests
from astropy.time import Time

FILL_SQL = """
SELECT setseed(0.42);
CREATE TEMPORARY TABLE bench ON COMMIT DROP AS
SELECT i, mod(i, 3) AS arm, 360 * random() AS ra, degrees(asin(2 * random() - 1)) AS dec,
       60600 + 1000 * random() AS t0, 5 + 60 * random() AS snr
FROM generate_series(1, %(n)s) AS i;
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, arm, file_path, original_name,
                          sha256, md5, file_size)
SELECT 'ivo://soxsvo.bench/soxs?BENCH.' || i, 'BENCH.' || i, 'SCIENCE.SPECTRUM',
       (ARRAY['UVVIS', 'NIR', 'MERGED'])[arm + 1], t.file_path, 'bench.fits',
       md5('a' || i) || md5('b' || i), md5('a' || i), t.file_size
FROM bench, (SELECT file_path, file_size FROM soxs.product ORDER BY dp_id LIMIT 1) AS t;
INSERT INTO ivoa.obscore (dataproduct_type, dataproduct_subtype, calib_level, obs_collection,
    obs_id, obs_title, obs_publisher_did, obs_release_date, data_rights, access_url,
    access_format, access_estsize, target_name, s_ra, s_dec, s_fov, s_resolution, t_min, t_max,
    t_exptime, em_min, em_max, em_res_power, em_xel, o_ucd, o_calib_status, facility_name,
    instrument_name, snr, dp_id, prodcatg)
SELECT 'spectrum', (ARRAY['uvvis', 'nir', 'merged'])[arm + 1], 3, 'SOXS', 'BENCH.OB' || i,
       'BENCH ' || i, 'ivo://soxsvo.bench/soxs?BENCH.' || i, '2024-01-01', 'public',
       'http://bench/files/BENCH.' || i, 'application/fits', 600, 'BENCH ' || (i / 3),
       ra, dec, 12.0 / 3600, 1.0, t0, t0 + 1200.0 / 86400, 1200.0,
       (ARRAY[3.5e-7, 8.0e-7, 3.5e-7])[arm + 1], (ARRAY[8.5e-7, 2.0e-6, 2.0e-6])[arm + 1],
       (ARRAY[4500.0, 5000.0, 4500.0])[arm + 1], 25000, 'phot.flux.density;em.wl',
       'absolute', 'ESO-NTT', 'SOXS', snr, 'BENCH.' || i, 'SCIENCE.SPECTRUM'
FROM bench;
"""
CLEAN_SQL = """
DELETE FROM ivoa.obscore WHERE dp_id LIKE 'BENCH.%';
DELETE FROM soxs.product WHERE dp_id LIKE 'BENCH.%';
"""


def _database():
    from soxsvo.config import load_settings
    from soxsvo.db import Database

    return Database(load_settings()).start()


def fill(spectra: int) -> None:
    database = _database()
    try:
        with database.connect() as conn:
            t0 = time.perf_counter()
            with conn.transaction():
                for statement in FILL_SQL.split(";\n"):
                    if statement.strip():
                        conn.execute(statement, {"n": spectra} if "%(n)s" in statement else None)
            conn.execute("ANALYZE ivoa.obscore")
            conn.execute("ANALYZE soxs.product")
            total = conn.execute("SELECT count(*) FROM ivoa.obscore "
                                 "WHERE dataproduct_type = 'spectrum'").fetchone()[0]
            conn.commit()
        print(f"added {spectra} spectra in {time.perf_counter() - t0:.1f} s; "
              f"the archive holds {total} spectra")
    finally:
        database.stop()


def clean() -> None:
    database = _database()
    try:
        with database.connect() as conn:
            conn.execute(CLEAN_SQL)
            conn.commit()
    finally:
        database.stop()


def _queries(rng: np.random.Generator, n: int) -> dict[str, list[dict]]:
    def pos() -> str:
        return f"{rng.uniform(0, 360):.5f},{np.degrees(np.arcsin(rng.uniform(-1, 1))):.5f}"

    def night() -> str:
        start = Time(60600 + rng.uniform(0, 1000), format="mjd")
        return f"{start.isot}/{(start + 1 * u.day).isot}"

    base = {"REQUEST": "queryData", "FORMAT": "fits"}
    return {
        "cone 30'": [{**base, "POS": pos(), "SIZE": "0.5"} for _ in range(n)],
        "cone 30' + BAND": [{**base, "POS": pos(), "SIZE": "0.5", "BAND": "6.5e-7/6.6e-7"}
                            for _ in range(n)],
        "TIME 1 night + BAND": [{**base, "TIME": night(), "BAND": "1.2e-6/1.3e-6"}
                                for _ in range(n)],
        "TARGETNAME": [{**base, "TARGETNAME": f"BENCH {rng.integers(1, 30000)}"}
                       for _ in range(n)],
    }


def query_latency(url: str, n: int) -> None:
    session = requests.Session()
    for name, queries in _queries(np.random.default_rng(1), n).items():
        times, rows = [], []
        for params in queries:
            t0 = time.perf_counter()
            answer = session.get(f"{url}/ssa", params=params)
            answer.raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(answer.content.count(b"<TR>"))
        print(f"queryData {name}: median {statistics.median(times):.1f} ms, "
              f"p95 {np.percentile(times, 95):.1f} ms, {statistics.mean(rows):.1f} rows "
              f"on average over {n}")


def _released_pubdids(url: str) -> list[str]:
    from astropy.io.votable import parse_single_table

    answer = requests.get(f"{url}/ssa", params={"REQUEST": "queryData", "FORMAT": "fits",
                                                "MAXREC": "200000",
                                                "RESPONSEFORMAT": "votable"})
    table = parse_single_table(io.BytesIO(answer.content)).to_table()
    return [str(d) for d in table["ssa_pubdid"] if "BENCH" not in str(d)]


def getdata_throughput(url: str, clients: int, seconds: float, fmt: str) -> None:
    pubdids = _released_pubdids(url)
    if not pubdids:
        raise SystemExit("no released real spectrum to download")
    done: list[int] = []
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng, session = np.random.default_rng(seed), requests.Session()
        while time.monotonic() < stop:
            params = {"REQUEST": "getData", "FORMAT": fmt,
                      "PUBDID": pubdids[rng.integers(len(pubdids))]}
            answer = session.get(f"{url}/ssa", params=params)
            answer.raise_for_status()
            done.append(len(answer.content))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"getData {fmt}, {clients} clients: {len(done) / seconds:.1f} spectra/s, "
          f"{sum(done) / seconds / 2**20:.1f} MiB/s ({len(pubdids)} distinct spectra)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    filling = commands.add_parser("fill")
    filling.add_argument("--spectra", type=int, default=100_000)
    commands.add_parser("clean")
    running = commands.add_parser("run")
    running.add_argument("url")
    running.add_argument("--queries", type=int, default=200)
    running.add_argument("--clients", type=int, default=8)
    running.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if args.command == "fill":
        fill(args.spectra)
    elif args.command == "clean":
        clean()
    else:
        url = args.url.rstrip("/")
        query_latency(url, args.queries)
        for fmt in ("fits", "votable"):
            getdata_throughput(url, args.clients, args.seconds, fmt)


if __name__ == "__main__":
    main()
