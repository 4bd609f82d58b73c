"""Cone search and SIAP 2.0 answer times on a large archive.

Usage:
  SOXSVO_DATA_DIR=... python benchmarks/bench_vo.py fill [--images 100000]
  python benchmarks/bench_vo.py run http://127.0.0.1:8000 [--queries 200]
  SOXSVO_DATA_DIR=... python benchmarks/bench_vo.py clean

``fill`` adds synthetic released acquisition-camera images (4' square footprints spread
uniformly over the sky within |dec| < 85 and three years; product and ObsCore rows, ``dp_id``
BENCHIMG.n) in bulk with SQL to the archive of the configured data dir or
``SOXSVO_DATABASE_URL``; ``clean`` removes them. ``run`` times, from one client, random 1'
cones of ``/scs/ivoa.obscore`` and ``/scs/marshall.transient`` and SIA 2 queries (CIRCLE 1',
RANGE 6', POLYGON, CIRCLE + BAND + TIME) through ``/sia/query``, beside the same 1' cone as
ADQL through ``/tap/sync`` for reference.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import requests

FILL_SQL = """
SELECT setseed(0.24);
CREATE TEMPORARY TABLE bench ON COMMIT DROP AS
SELECT i, 360 * random() AS ra, degrees(asin(2 * random() - 1)) * 85 / 90 AS dec,
       60600 + 1000 * random() AS t0
FROM generate_series(1, %(n)s) AS i;
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, sha256,
                          md5, file_size)
SELECT 'ivo://soxsvo.bench/soxs?BENCHIMG.' || i, 'BENCHIMG.' || i, 'SCIENCE.IMAGE',
       'bench/img.fits', 'bench.fits', md5('c' || i) || md5('d' || i), md5('c' || i), 2000000
FROM bench;
INSERT INTO ivoa.obscore (dataproduct_type, dataproduct_subtype, calib_level, obs_collection,
    obs_id, obs_title, obs_publisher_did, obs_release_date, data_rights, access_url,
    access_format, access_estsize, target_name, s_ra, s_dec, s_fov, s_region, s_resolution,
    t_min, t_max, t_exptime, em_min, em_max, em_xel, o_ucd, facility_name, instrument_name,
    dp_id, prodcatg, filter)
SELECT 'image', 'acquisition', 2, 'SOXS', 'BENCHIMG.OB' || i, 'BENCH image ' || i,
       'ivo://soxsvo.bench/soxs?BENCHIMG.' || i, '2024-01-01', 'public',
       'http://bench/files/BENCHIMG.' || i, 'application/fits', 2000, 'BENCH ' || i,
       ra, dec, 4.0 / 60 * sqrt(2),
       ARRAY[ra - h / cos(radians(dec)), dec - h, ra + h / cos(radians(dec)), dec - h,
             ra + h / cos(radians(dec)), dec + h, ra - h / cos(radians(dec)), dec + h],
       1.2, t0, t0 + 30.0 / 86400, 30.0, 5.52e-7, 6.91e-7, 1, 'phot.count', 'ESO-NTT',
       'SOXS', 'BENCHIMG.' || i, 'SCIENCE.IMAGE', 'r'
FROM bench, (SELECT 2.0 / 60 AS h) AS half;
"""
CLEAN_SQL = """
DELETE FROM ivoa.obscore WHERE dp_id LIKE 'BENCHIMG.%';
DELETE FROM soxs.product WHERE dp_id LIKE 'BENCHIMG.%';
"""


def _database():
    from soxsvo.config import load_settings
    from soxsvo.db import Database

    return Database(load_settings()).start()


def _run_sql(text: str, images: int | None = None) -> None:
    database = _database()
    try:
        with database.connect() as conn:
            t0 = time.perf_counter()
            with conn.transaction():
                for statement in text.split(";\n"):
                    if statement.strip():
                        conn.execute(statement, {"n": images} if "%(n)s" in statement else None)
            conn.execute("ANALYZE ivoa.obscore")
            total = conn.execute("SELECT count(*) FROM ivoa.obscore "
                                 "WHERE dataproduct_type = 'image'").fetchone()[0]
            conn.commit()
        print(f"done in {time.perf_counter() - t0:.1f} s; the archive holds {total} images")
    finally:
        database.stop()


def _position(rng: np.random.Generator) -> tuple[float, float]:
    return float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-1, 1))) * 85 / 90)


def _requests(rng: np.random.Generator, n: int) -> dict[str, list[tuple[str, dict]]]:
    def cone(table: str) -> tuple[str, dict]:
        ra, dec = _position(rng)
        return f"/scs/{table}", {"RA": ra, "DEC": dec, "SR": 1 / 60}

    def sia(shape: str, **more) -> tuple[str, dict]:
        ra, dec = _position(rng)
        d = 0.05
        pos = {"circle": f"CIRCLE {ra} {dec} {1 / 60}",
               "range": f"RANGE {ra - d} {ra + d} {dec - d} {dec + d}" if d < ra < 360 - d
               else f"RANGE 0.1 0.2 {dec - d} {dec + d}",
               "polygon": f"POLYGON {ra} {dec - d} {ra + d} {dec + d} {ra - d} {dec + d}"
               if d < ra < 360 - d else f"POLYGON 1 {dec - d} 1.1 {dec + d} 0.9 {dec + d}"}
        return "/sia/query", {"POS": pos[shape], "RESPONSEFORMAT": "votable/td", **more}

    def tap() -> tuple[str, dict]:
        ra, dec = _position(rng)
        return "/tap/sync", {"LANG": "ADQL", "RESPONSEFORMAT": "votable/td", "QUERY": (
            "SELECT * FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), "
            f"CIRCLE('ICRS', {ra}, {dec}, {1 / 60}))")}

    return {
        "TAP ivoa.obscore 1' (reference)": [tap() for _ in range(n)],
        "SCS ivoa.obscore 1'": [cone("ivoa.obscore") for _ in range(n)],
        "SCS marshall.transient 1'": [cone("marshall.transient") for _ in range(n)],
        "SIA CIRCLE 1'": [sia("circle") for _ in range(n)],
        "SIA RANGE 6'": [sia("range") for _ in range(n)],
        "SIA POLYGON 6'": [sia("polygon") for _ in range(n)],
        "SIA CIRCLE 1' + BAND + TIME": [
            sia("circle", BAND="6e-7 6.5e-7", TIME="60600 61600") for _ in range(n)],
    }


def run(url: str, n: int) -> None:
    session = requests.Session()
    for name, calls in _requests(np.random.default_rng(3), n).items():
        times, rows = [], []
        for path, params in calls:
            t0 = time.perf_counter()
            answer = session.get(f"{url}{path}", params=params)
            answer.raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(answer.content.count(b"<TR>"))
        print(f"{name}: median {statistics.median(times):.1f} ms, "
              f"p95 {np.percentile(times, 95):.1f} ms, {statistics.mean(rows):.2f} rows "
              f"on average over {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    filling = commands.add_parser("fill")
    filling.add_argument("--images", type=int, default=100_000)
    commands.add_parser("clean")
    running = commands.add_parser("run")
    running.add_argument("url")
    running.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if args.command == "fill":
        _run_sql(FILL_SQL, args.images)
    elif args.command == "clean":
        _run_sql(CLEAN_SQL)
    else:
        run(args.url.rstrip("/"), args.queries)


if __name__ == "__main__":
    main()
