"""Time INTERSECTS(s_region, CIRCLE/POLYGON) and the ESO_INTERSECTION self-join on ObsCore.

A scratch cluster gets ``--rows`` synthetic ObsCore images over the whole sky (footprints of
0.1-0.5 degree squares, as s_region polygons with s_ra, s_dec, s_fov); each query is translated
as ``/tap/sync`` translates it and run as the anonymous reader, ``--repeat`` times at random
centres; the median is printed with the plan's top node.

    .venv/bin/python benchmarks/bench_intersects.py [--rows 20000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import psycopg

from soxsvo.access import ANONYMOUS, begin_as_reader
from soxsvo.tap.query import prepare

FILL_SQL = """
SELECT setseed(0.42);
CREATE TEMPORARY TABLE bench ON COMMIT DROP AS
SELECT i, 360 * random() AS ra, degrees(asin(2 * random() - 1)) AS dec,
       0.1 + 0.4 * random() AS side
FROM generate_series(1, %(n)s) AS i;
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, arm, file_path, original_name,
                          sha256, md5, file_size)
SELECT 'ivo://soxsvo.bench/soxs?BENCH.' || i, 'BENCH.' || i, 'ACQUISITION.IMAGE', 'ACQ',
       '/bench/BENCH.' || i || '.fits', 'bench.fits', md5('a' || i) || md5('b' || i),
       md5('a' || i), 1000
FROM bench;
INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, obs_release_date, data_rights, access_url, access_format,
    access_estsize, s_ra, s_dec, s_fov, s_region, em_min, em_max, facility_name,
    instrument_name, dp_id, prodcatg)
SELECT 'image', 2, 'SOXS', 'BENCH.OB' || i, 'ivo://soxsvo.bench/soxs?BENCH.' || i,
       '2024-01-01', 'public', 'http://bench/BENCH.' || i, 'application/fits', 1,
       ra, dec, side * sqrt(2), ARRAY[
         ra - h, dec - side / 2, ra + h, dec - side / 2,
         ra + h, dec + side / 2, ra - h, dec + side / 2],
       (ARRAY[3.5e-7, 1.2e-6])[1 + mod(i, 2)], (ARRAY[8.5e-7, 1.3e-6])[1 + mod(i, 2)],
       'ESO-NTT', 'SOXS', 'BENCH.' || i, 'ACQUISITION.IMAGE'
FROM bench, LATERAL (SELECT side / 2 / cos(radians(least(abs(dec), 85))) AS h) AS w
WHERE abs(dec) < 88;
"""


def fill(conn: psycopg.Connection, rows: int) -> None:
    """``rows`` public ObsCore images (fewer near the poles, where squares degenerate)."""
    with conn.transaction():
        for statement in FILL_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement, {"n": rows} if "%(n)s" in statement else None)
    conn.execute("ANALYZE ivoa.obscore")
    conn.commit()


def queries(rng: np.random.Generator) -> dict[str, str]:
    """One query of each kind at a random centre."""
    ra, dec = float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-0.9, 0.9))))
    polygon = ", ".join(f"{ra + dx / math.cos(math.radians(dec))!r}, {dec + dy!r}"
                        for dx, dy in ((-1, -1), (1, -1), (1.2, 1), (-1, 1)))
    return {
        "INTERSECTS circle 1 deg": "SELECT obs_publisher_did FROM ivoa.obscore WHERE "
                                   f"INTERSECTS(s_region, CIRCLE({ra!r}, {dec!r}, 1)) = 1",
        "INTERSECTS polygon 2 deg": "SELECT obs_publisher_did FROM ivoa.obscore WHERE "
                                    f"INTERSECTS(s_region, POLYGON({polygon})) = 1",
        "ESO_INTERSECTION self-join": (
            "SELECT J.obs_publisher_did, H.obs_publisher_did, "
            "ESO_INTERSECTION(J.s_region, H.s_region) AS overlap FROM "
            "(SELECT * FROM ivoa.obscore WHERE dataproduct_type = 'image' AND "
            f"INTERSECTS(CIRCLE({ra!r}, {dec!r}, 5), s_region) = 1 AND em_max < 1e-6) AS J, "
            "(SELECT * FROM ivoa.obscore WHERE dataproduct_type = 'image' AND "
            f"INTERSECTS(CIRCLE({ra!r}, {dec!r}, 5), s_region) = 1 AND em_min > 1e-6) AS H "
            "WHERE INTERSECTS(J.s_region, H.s_region) = 1 AND "
            "ESO_INTERSECTION(J.s_region, H.s_region) > 0.001"),
    }


def run(conninfo: str, rows: int, repeat: int) -> None:
    with psycopg.connect(conninfo) as conn:
        fill(conn, rows)
        rng = np.random.default_rng(7)
        times: dict[str, list[float]] = {}
        for _ in range(repeat):
            for kind, adql in queries(rng).items():
                begin_as_reader(conn, 60, ANONYMOUS)
                prepared = prepare(adql, (), conn)
                start = time.perf_counter()
                conn.execute(prepared.sql, prepared.params).fetchall()
                times.setdefault(kind, []).append(time.perf_counter() - start)
                conn.rollback()
        for kind, values in times.items():
            print(f"{kind:28s} median {statistics.median(values) * 1e3:8.2f} ms  "
                  f"max {max(values) * 1e3:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from scratch import scratch_cluster

    with scratch_cluster("sxb-isect-") as (_, cluster):
        run(cluster.conninfo(), args.rows, args.repeat)


if __name__ == "__main__":
    main()
