"""Time ESO_INTERSECTION (soxs_adql.intersection_area) per call, by kind of region pair.

Runs in PostgreSQL, ``--calls`` evaluations per kind over generate_series (the regions shift by
a micro-degree per row so that nothing is folded into a constant), against ``--database`` or,
by default, a scratch cluster of its own.

    .venv/bin/python benchmarks/bench_eso_intersection.py [--database URL] [--calls 2000]
"""

from __future__ import annotations

import argparse
import math
import time

import psycopg

#: kind -> (region a, region b), DALI arrays; the overlaps are partial.
PAIRS = {
    "circle x circle (exact)": ([120.0, 45.0, 1.0], [121.2, 45.5, 0.7]),
    "4-gon x 4-gon (exact)": ([266.0, -29.5, 267.0, -29.5, 267.0, -28.5, 266.0, -28.5],
                              [266.3, -29.1, 267.5, -29.1, 267.5, -28.2, 266.3, -28.2]),
    "4-gon x circle (360-gon)": ([200.1, -30.3, 201.1, -30.3, 201.1, -29.1, 200.1, -29.1],
                                 [200.0, -30.0, 0.8]),
    "non-convex 6-gon x circle": ([0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2], [1.2, 1.2, 0.6]),
}


def _ring(lon: float, lat: float, r: float, n: int) -> list[float]:
    out = []
    for k in range(n):
        t = 2 * math.pi * k / n
        out += [lon + r * math.cos(t) / math.cos(math.radians(lat)), lat + r * math.sin(t)]
    return out


PAIRS["25-gon x 4-gon (exact)"] = (_ring(12.5, -72.8, 1.2, 25),
                                   [11.0, -73.5, 14.0, -73.5, 14.0, -72.5, 11.0, -72.5])


def run(conninfo: str, calls: int) -> None:
    with psycopg.connect(conninfo) as conn:
        for kind, (a, b) in PAIRS.items():
            shift = [1e-6 if i % 2 == 0 else 0.0 for i in range(len(a))]
            sql = ("SELECT sum(soxs_adql.intersection_area("
                   "ARRAY(SELECT x + g * s FROM unnest(%s::float8[], %s::float8[]) AS u(x, s)),"
                   " %s::float8[])) FROM generate_series(1, %s) AS g")
            conn.execute(sql, (a, shift, b, 10))  # warm-up
            start = time.perf_counter()
            conn.execute(sql, (a, shift, b, calls))
            per_call = (time.perf_counter() - start) / calls * 1e3
            print(f"{kind:28s} {per_call:8.3f} ms per call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="PostgreSQL URL (default: a scratch cluster)")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    if args.database:
        run(args.database, args.calls)
        return
    from scratch import scratch_cluster

    with scratch_cluster("sxb-eso-") as (_, cluster):
        run(cluster.conninfo(), args.calls)


if __name__ == "__main__":
    main()
