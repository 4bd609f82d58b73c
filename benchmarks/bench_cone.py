"""q3c cone search on marshall.transient with 1,000,000 rows.

Usage: python benchmarks/bench_cone.py [--rows 1000000] [--radius-arcsec 60] [--repeat 500]
Fills a private cluster's marshall.transient with uniformly random positions (COPY), clusters
and analyses it, then times `q3c_radial_query` cone searches at random centres through one
connection, as the archive's own queries run. Prints median, p95 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import psycopg
from scratch import scratch_cluster


def fill(conn: psycopg.Connection, rows: int, rng: np.random.Generator) -> None:
    ra = rng.uniform(0, 360, rows)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    with conn.cursor().copy("COPY marshall.transient (name, ra, dec) FROM STDIN") as copy:
        for i in range(rows):
            copy.write_row((f"AT bench{i}", float(ra[i]), float(dec[i])))
    conn.commit()
    conn.execute("CLUSTER marshall.transient USING transient_q3c")
    conn.execute("ANALYZE marshall.transient")
    conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--radius-arcsec", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with scratch_cluster("sxq-") as (_, cluster):
        with psycopg.connect(cluster.conninfo()) as conn:
            started = time.perf_counter()
            fill(conn, args.rows, rng)
            print(f"loaded {args.rows} rows in {time.perf_counter() - started:.1f} s")
            radius = args.radius_arcsec / 3600.0
            timings, found = [], 0
            for _ in range(args.repeat):
                ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
                t0 = time.perf_counter()
                found += len(conn.execute(
                    "SELECT transient_id, name, ra, dec FROM marshall.transient "
                    "WHERE q3c_radial_query(ra, dec, %s, %s, %s)", (ra, dec, radius)).fetchall())
                timings.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
        ms = np.array(timings)
        print(f"{args.repeat} cones of {args.radius_arcsec} arcsec: median {np.median(ms):.3f} ms, "
              f"p95 {np.percentile(ms, 95):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms, "
              f"{found / args.repeat:.2f} rows per cone")


if __name__ == "__main__":
    main()
