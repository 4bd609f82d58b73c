"""Where the time of registering one product goes: stage timings and a cProfile summary.

Usage: python benchmarks/profile_ingest.py [--files 200] [--top 15]

Writes ``--files`` real-size spectra (as ``bench_ingest.py``), then, in this one process:

1. times each stage of :func:`soxsvo.archive.prepare.prepare_product` (reading and
   checksumming the file, parsing it — the snapshot reader, astropy for unusual files —,
   the Phase 3 rules — the slowest rules listed —, header mapping) in CPU time
   of this process (``time.process_time``: what limits throughput on a machine whose cores
   are shared, where wall time mostly measures the wait for a core);
2. profiles ``prepare_product`` with cProfile and prints the functions with the most own time;
3. on a private PostgreSQL cluster, times :func:`soxsvo.archive.register.commit_batch` per
   product with batches of 1 (one transaction per product) and of 64: wall time, and the CPU
   time of this process (the server's is not included).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import write_folder  # noqa: E402
from scratch import scratch_cluster

from soxsvo.archive.obscore_map import ProductHeaders  # noqa: E402
from soxsvo.archive.prepare import map_headers, prepare_product  # noqa: E402
from soxsvo.archive.register import ArchiveConfig, commit_batch  # noqa: E402
from soxsvo.archive.store import bytes_checksums  # noqa: E402
from soxsvo.phase3 import rules_for  # noqa: E402
from soxsvo.phase3.snapshot import read_product  # noqa: E402


def stages(files: list[Path]) -> None:
    clock = collections.Counter()
    rules = collections.Counter()
    cpu = time.process_time
    readers = collections.Counter()
    for path in files:
        t0 = cpu()
        raw = path.read_bytes()
        bytes_checksums(raw)
        t1 = cpu()
        ctx = read_product(path, raw)
        t2 = cpu()
        for rule in rules_for("SCIENCE.SPECTRUM"):
            r0 = cpu()
            list(rule.run(ctx))
            rules[rule.id] += cpu() - r0
        t3 = cpu()
        map_headers(ProductHeaders(ctx.primary, ctx.extension))
        t4 = cpu()
        ctx.close()
        readers[type(ctx).__name__] += 1
        clock.update({"read + checksums": t1 - t0, "parse FITS": t2 - t1,
                      "Phase 3 rules": t3 - t2, "header mapping": t4 - t3})
    n = len(files)
    print(f"prepare_product stages, CPU ms per file (mean of {n}; readers: {dict(readers)}):")
    for name, seconds in clock.items():
        print(f"  {name:16s} {seconds / n * 1000:7.2f}")
    print(f"  {'total':16s} {sum(clock.values()) / n * 1000:7.2f}")
    print("  slowest rules: " + ", ".join(f"{rid} {s / n * 1000:.2f}"
                                          for rid, s in rules.most_common(6)))


def profile(files: list[Path], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for path in files:
        prepare_product(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    print("cProfile of prepare_product, by own time:")
    print(text[text.index("ncalls"):].rstrip())


def commits(files: list[Path]) -> None:
    with scratch_cluster("sxpc-") as (root, cluster):
        prepared = [prepare_product(p) for p in files]
        for size in (1, 64):
            config = ArchiveConfig(store=root / f"store{size}", base_url="http://bench")
            with psycopg.connect(cluster.conninfo()) as conn:
                conn.execute("TRUNCATE soxs.product, ivoa.obscore, soxs.provenance, "
                             "soxs.ancillary CASCADE")
                conn.commit()
                started, cpu_started = time.perf_counter(), time.process_time()
                for k in range(0, len(prepared), size):
                    commit_batch(conn, prepared[k:k + size], config)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu_started
            n = len(prepared)
            print(f"commit_batch, batches of {size:2d}: {elapsed / n * 1000:.2f} ms wall, "
                  f"{cpu / n * 1000:.2f} ms CPU per product (store copy included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sxp-"))
    root.chmod(0o755)
    try:
        write_folder(root / "in", args.files, None, 0)
        files = sorted((root / "in").iterdir())
        prepare_product(files[0])  # imports and caches out of the figures
        stages(files)
        profile(files, args.top)
        commits(files)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
