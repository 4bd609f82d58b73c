"""``soxsvo table publish`` of a large generated catalogue: wall time and peak memory.

    python benchmarks/bench_table_publish.py --data-dir /tmp/bench-publish --rows 2000000

Writes a Gaia-like Parquet file (int64 ``source_id``, ra, dec, six float columns, a flag; with
``--format fits|csv`` converted to that format) of ``--rows`` rows, then times ``soxsvo table
publish bench.gaia FILE`` end to end (load with COPY, q3c index, CLUSTER, ANALYZE, TAP_SCHEMA)
in a child process and reports its peak RSS (``ru_maxrss`` of the largest child; the PostgreSQL
server processes are not counted). The files are written by another child: a forked child's
peak RSS starts at its parent's, so the parent stays small.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_catalogue(path: Path, rows: int, seed: int = 1) -> None:
    """A Parquet file of ``rows`` random sources over the whole sky, written in row groups."""
    rng = np.random.default_rng(seed)
    writer = None
    step = 500_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        columns = {
            "source_id": np.arange(start, start + n, dtype=np.int64) * 1_000_003 + 2**40,
            "ra": rng.uniform(0.0, 360.0, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))),
            **{f"mag_{band}": rng.uniform(10, 21, n).astype(np.float32)
               for band in ("g", "bp", "rp")},
            **{f"err_{band}": rng.uniform(0, 0.1, n).astype(np.float32)
               for band in ("g", "bp", "rp")},
            "flag": rng.integers(0, 4, n, dtype=np.int16),
        }
        batch = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(path, batch.schema)
        writer.write_table(batch)
    writer.close()


def convert(parquet: Path, path: Path) -> None:
    """Write the Parquet catalogue as FITS or CSV."""
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(pq.read_table(parquet), path)
    else:
        from astropy.table import Table

        Table(pq.read_table(parquet).to_pydict()).write(path, format="fits")


def write_files(data_dir: Path, rows: int, fmt: str) -> None:
    """The Parquet catalogue of ``rows`` rows and its copy in ``fmt``, unless already there."""
    parquet = data_dir / f"gaia_{rows}.parquet"
    if not parquet.exists():
        write_catalogue(parquet, rows)
    path = parquet.with_suffix(f".{fmt}")
    if not path.exists():
        convert(parquet, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--format", choices=("parquet", "fits", "csv"), default="parquet",
                        help="File format published (FITS and CSV converted from the Parquet).")
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_only:
        write_files(Path(args.data_dir), args.rows, args.format)
        return
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir))
    subprocess.run([sys.executable, "-m", "soxsvo.cli.main", "db", "init"], env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, __file__, "--write-only", "--data-dir", str(data_dir),
                    "--rows", str(args.rows), "--format", args.format], check=True)
    path = data_dir / f"gaia_{args.rows}.{args.format}"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "soxsvo.cli.main", "table", "publish", "bench.gaia",
                    str(path)], env=env, check=True)
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"published {args.rows:,} rows in {elapsed:.1f} s; peak RSS of the command "
          f"{peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
