"""MOC queries over 1,000,000 transients and the upkeep of the coverage MOC.

Usage: python benchmarks/bench_moc.py [--rows 1000000] [--maps 10] [--repeat 5]
                                      [--products 100000] [--new 1000]

1. Fills a private cluster's marshall.transient with uniformly random positions (COPY; the
   order-29 HEALPix expression index is maintained as rows arrive), then times MOC queries with
   the 90% credible region of LVK-style multi-order sky maps (a Gaussian blob of sigma 4.5 deg:
   about 300 deg2): the region's construction from the FITS map, and the query itself.
2. Registers ``--products`` public spectra in ivoa.obscore, builds the cached coverage MOCs,
   registers ``--new`` more and times bringing each MOC up to date, and a full rebuild.
Prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import scratch_cluster  # noqa: E402

from soxsvo.moc.coverage import Orders, coverage  # noqa: E402
from soxsvo.moc.query import query_moc  # noqa: E402
from soxsvo.moc.serialize import read_region  # noqa: E402
from tests.moc.helpers import add_products, gaussian_skymap, skymap_fits  # noqa: E402


def fill(conn: psycopg.Connection, rows: int, rng: np.random.Generator) -> None:
    ra = rng.uniform(0, 360, rows)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    with conn.cursor().copy("COPY marshall.transient (name, ra, dec) FROM STDIN") as copy:
        for i in range(rows):
            copy.write_row((f"AT bench{i}", float(ra[i]), float(dec[i])))
    conn.commit()
    conn.execute("ANALYZE marshall.transient")
    conn.commit()


def bench_queries(conn: psycopg.Connection, rng: np.random.Generator, maps: int,
                  repeat: int) -> None:
    build, query, found, areas, ranges = [], [], [], [], []
    for _ in range(maps):
        ra0, dec0 = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-0.9, 0.9)))
        data = skymap_fits(*gaussian_skymap(ra0, dec0, sigma_deg=4.5))
        t0 = time.perf_counter()
        region = read_region(data, credible=0.9)
        build.append(time.perf_counter() - t0)
        areas.append(region.sky_fraction * 41252.96)
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = query_moc(conn, region, "transients", maxrec=1_000_000)
            query.append(time.perf_counter() - t0)
        found.append(len(result.rows))
        ranges.append(result.n_ranges)
    print(f"90% regions: median {statistics.median(areas):.0f} deg2, "
          f"{statistics.median(ranges):.0f} order-29 ranges, "
          f"{statistics.median(found):.0f} transients returned")
    print(f"credible-region MOC from the FITS sky map: median "
          f"{1000 * statistics.median(build):.1f} ms")
    print(f"MOC query ({len(query)} runs): median {1000 * statistics.median(query):.1f} ms, "
          f"max {1000 * max(query):.1f} ms")


def bench_coverage(conn: psycopg.Connection, rng: np.random.Generator, products: int,
                   new: int, cache: Path) -> None:
    orders = Orders(space=10, time=35)
    ra = rng.uniform(0, 360, products + new)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, products + new)))
    for start in range(0, products, 20000):
        stop = min(products, start + 20000)
        add_products(conn, ra[start:stop], dec[start:stop], prefix=f"p{start}-")
    conn.execute("ANALYZE")
    conn.commit()
    for kind in ("space", "time", "spacetime"):
        t0 = time.perf_counter()
        coverage(conn, kind, cache, orders)
        rebuild = time.perf_counter() - t0
        t0 = time.perf_counter()
        assert coverage(conn, kind, cache, orders).action == "cached"
        cached = time.perf_counter() - t0
        print(f"{kind}: full build over {products} products {1000 * rebuild:.0f} ms; "
              f"unchanged {1000 * cached:.1f} ms")
    add_products(conn, ra[products:], dec[products:], prefix="new-")
    for kind in ("space", "time", "spacetime"):
        t0 = time.perf_counter()
        result = coverage(conn, kind, cache, orders)
        elapsed = time.perf_counter() - t0
        assert result.action == "updated"
        print(f"{kind}: update after registering {new} products {1000 * elapsed:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--maps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with (scratch_cluster("sxm-") as (root, cluster),
          psycopg.connect(cluster.conninfo()) as conn):
        started = time.perf_counter()
        fill(conn, args.rows, rng)
        print(f"loaded {args.rows} transients in {time.perf_counter() - started:.1f} s")
        bench_queries(conn, rng, args.maps, args.repeat)
        bench_coverage(conn, rng, args.products, args.new, root / "moc-cache")


if __name__ == "__main__":
    main()
