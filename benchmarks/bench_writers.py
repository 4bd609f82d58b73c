"""Throughput and memory of the soxsvo.formats result writers.

Plain script:  python benchmarks/bench_writers.py --rows 1000000 --format votable

Rows are 10 columns (3 double, 2 long, 2 int, 2 char ~20, 1 timestamp) handed
over as lists of tuples, as psycopg's fetchmany returns them, so the timing
includes the tuple-to-array conversion.  Batches are drawn from a small pool
of pre-built batches so that building the test rows is not timed and no more
than the pool is alive, as with a server-side cursor.  Output bytes are
counted and dropped.  Peak memory is measured in a second pass under
tracemalloc (Python + numpy allocations), and as the process max RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soxsvo.db.metadata import ColumnMeta  # noqa: E402
from soxsvo.formats import resolve_format  # noqa: E402

COLUMNS = (
    ColumnMeta("ra", "double", unit="deg"), ColumnMeta("dec", "double", unit="deg"),
    ColumnMeta("mag", "double", unit="mag"), ColumnMeta("obs_id", "long"),
    ColumnMeta("frame", "int"), ColumnMeta("target", "char", arraysize="*"),
    ColumnMeta("date_obs", "char", arraysize="*", xtype="timestamp"),
    ColumnMeta("file_size", "long"), ColumnMeta("quality", "int"),
    ColumnMeta("filter", "char", arraysize="*"),
)
FORMATS = ("votable", "votable/b", "votable/td", "csv", "tsv", "fits", "json", "parquet")


def make_pool(batch: int, count: int = 10) -> list[list[tuple]]:
    start = dt.datetime(2025, 3, 1, 23, 0)
    pool = []
    for b in range(count):
        rows = []
        for i in range(b * batch, (b + 1) * batch):
            rows.append((
                150.0 + i * 1e-6, -30.0 - i * 1e-6, None if i % 97 == 0 else 17.0 + (i % 500) / 100,
                i, i % 4096, f"SOXS-J{i:014d}",
                start + dt.timedelta(seconds=i, microseconds=(i % 7) * 1000),
                2_880 * (i % 10_000), None if i % 13 == 0 else i % 5, ("u", "g", "r", "i")[i % 4],
            ))
        pool.append(rows)
    return pool


def run(fmt: str, rows: int, pool: list[list[tuple]]) -> tuple[float, float, int]:
    writer = resolve_format(fmt)
    batch = len(pool[0])
    nbatches = rows // batch
    batches = (pool[k % len(pool)] for k in range(nbatches))
    size = 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    for chunk in writer.stream(COLUMNS, batches):
        size += len(chunk)
    return time.perf_counter() - t0, time.process_time() - cpu0, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--format", action="append", choices=FORMATS,
                        help="repeatable; default: all formats")
    parser.add_argument("--trace-rows", type=int, default=200_000,
                        help="rows for the tracemalloc pass (0: skip)")
    args = parser.parse_args()
    pool = make_pool(args.batch)
    gc.collect()
    print(f"python {platform.python_version()}, {platform.machine()},"
          f" rows={args.rows}, batch={args.batch}, columns={len(COLUMNS)}")
    # CPU seconds: what the writer costs, whatever else shares the cores.
    print(f"{'format':12} {'seconds':>8} {'CPU s':>7} {'rows/s':>11} {'MB out':>8}"
          f" {'peak MB':>8}")
    for fmt in args.format or FORMATS:
        seconds, cpu, size = run(fmt, args.rows, pool)
        peak = float("nan")
        if args.trace_rows:
            tracemalloc.start()
            run(fmt, args.trace_rows, pool)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        print(f"{fmt:12} {seconds:8.2f} {cpu:7.2f} {args.rows / seconds:11,.0f}"
              f" {size / 1e6:8.1f} {peak:8.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of the whole run: {rss:.0f} MB (includes the {len(pool)}-batch row pool)")


if __name__ == "__main__":
    main()
