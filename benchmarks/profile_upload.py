"""Where the time of an upload crossmatch goes: each stage of ``/tap/sync`` timed on its own.

Usage::

    python benchmarks/profile_upload.py --data-dir var-bench [--table marshall.transient]
        [--rows 10000] [--repeat 5] [--url http://127.0.0.1:8123/tap] [--explain]

It runs, in this process and on the database of ``--data-dir`` (``SOXSVO_DATA_DIR``; or
``SOXSVO_DATABASE_URL``), the steps the service runs for the query of ``bench_tap.py
--upload-rows`` (the same random positions, 5 arcsec ``DISTANCE`` join): parse the inline CSV,
open the reader's transaction, create the temporary table and COPY the rows, index and
ANALYZE it, translate the ADQL, run the SQL and read its rows (as the service does, Arrow
batches from COPY), encode BINARY2. ``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the
translated SQL once. With ``--url`` the same request is also timed end to end through HTTP, so
that what HTTP and the web server add is the difference. Medians over ``--repeat`` runs (after
one warm-up run), wall milliseconds; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tap import upload_csv, upload_query  # noqa: E402

from soxsvo.access import begin_as_reader, forbid_writes  # noqa: E402
from soxsvo.config import load_settings  # noqa: E402
from soxsvo.db import Database  # noqa: E402
from soxsvo.tap import uploads  # noqa: E402
from soxsvo.tap.query import prepare  # noqa: E402
from soxsvo.tap.sync import resolve_writer, result_batches  # noqa: E402


class Stopwatch:
    """Wall milliseconds per named stage, collected over runs."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self._t = time.perf_counter()

    def start(self) -> None:
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage].append((now - self._t) * 1000)
        self._t = now


def run_once(conn, csv: bytes, query: str, watch: Stopwatch, explain: bool) -> int:
    """One crossmatch, stage by stage, rolled back at the end; the number of result rows."""
    watch.start()
    table = uploads._read_table("mine", csv, 10**7)
    columns = uploads._columns("mine", table)
    watch.lap("parse upload (astropy)")
    begin_as_reader(conn, 600)
    watch.lap("begin as reader")
    uploads.create_temp_table(conn, "mine", columns)
    uploads.copy_rows(conn, "mine", table, columns)
    watch.lap("create temp table + COPY")
    uploads.index_and_analyze(conn, "mine", columns)
    watch.lap("index + ANALYZE upload")
    upload_meta = uploads.upload_meta("mine", columns)
    forbid_writes(conn)
    prepared = prepare(query, (upload_meta,))
    watch.lap("translate ADQL")
    if explain:
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + prepared.sql, prepared.params or None)
        print(prepared.sql)
        print("\n".join(row[0] for row in plan))
        watch.start()
    writer = resolve_writer(None)
    batches = list(result_batches(conn, prepared, 10**7, writer))
    watch.lap("run join + read rows")
    size = sum(len(chunk) for chunk in writer.stream(prepared.columns, iter(batches),
                                                      overflow=prepared.outcome))
    watch.lap("encode BINARY2")
    conn.rollback()
    watch.lap("rollback")
    del size
    return prepared.outcome.rows


def through_http(url: str, csv: bytes, query: str) -> tuple[float, int]:
    """Wall ms of the whole request and the bytes answered."""
    t0 = time.perf_counter()
    answer = requests.post(f"{url}/sync", data={"LANG": "ADQL", "QUERY": query,
                                               "UPLOAD": "mine,param:mine"},
                           files={"mine": ("mine.csv", io.BytesIO(csv))})
    answer.raise_for_status()
    return (time.perf_counter() - t0) * 1000, len(answer.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--table", default="marshall.transient")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", default=None)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.data_dir:
        env["SOXSVO_DATA_DIR"] = args.data_dir
    csv, query = upload_csv(args.rows).encode(), upload_query(args.table)
    database = Database(load_settings(env)).start()
    watch, http = Stopwatch(), []
    try:
        with database.connect() as conn:
            rows = run_once(conn, csv, query, Stopwatch(), args.explain)  # warm-up
            for _ in range(args.repeat):
                run_once(conn, csv, query, watch, False)
                if args.url:
                    http.append(through_http(args.url.rstrip("/"), csv, query)[0])
    finally:
        database.stop()
    print(f"{args.rows} uploaded rows, {rows} matches; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; medians of {args.repeat} runs:")
    total = 0.0
    for stage, times in watch.times.items():
        total += statistics.median(times)
        print(f"  {stage:28s} {statistics.median(times):8.1f} ms")
    print(f"  {'sum of stages':28s} {total:8.1f} ms")
    if http:
        print(f"  {'through HTTP (whole request)':28s} {statistics.median(http):8.1f} ms "
              f"(min {min(http):.1f})")


if __name__ == "__main__":
    main()
