"""Streaming a big TAP result: time to the last byte and the server's memory while it streams.

Two steps.

1. ``setup`` builds a catalogue of ``--rows`` (default 2,000,000) q3c-indexed rows in
   ``marshall.transient`` of a fresh data dir, with SQL only (no upload):

       python benchmarks/bench_stream.py setup --data-dir var-bench --rows 2000000

   It runs ``soxsvo db init`` there, then ``INSERT ... SELECT FROM generate_series`` (random
   positions uniform on the sky and nine more columns), ``CLUSTER`` on the q3c index and
   ``ANALYZE``. The table is a published one, so TAP serves it with no extra metadata.

2. ``run`` fetches ``SELECT TOP n`` of ten columns as BINARY2 from any TAP URL, for each
   ``--rows`` value, while sampling every ``--interval`` s the summed RSS (psutil) of the
   server process ``--pid`` and all its descendants (gunicorn workers, UWS workers):

       SOXSVO_DATA_DIR=var-bench SOXSVO_PORT=8123 soxsvo serve &
       python benchmarks/bench_stream.py run http://127.0.0.1:8123/tap \\
           --pid $(pgrep -f 'soxsvo serve' -o) --rows 100000 --rows 1000000

   It prints, per size: seconds to the last byte, CPU seconds the server processes spent, MiB
   received, the idle RSS just before the request, the peak RSS during it and their
   difference. The sampler adds a few per cent of CPU of its own. With ``--db-pid`` (the
   PostgreSQL postmaster's pid, first line of ``<data dir>/pg/postmaster.pid``, when the
   database runs on this machine) it also prints the CPU seconds of PostgreSQL's processes,
   and it always prints this client's own CPU seconds: the three shares of the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse

COLUMNS = ("transient_id, name, ra, dec, discovery_mjd, discovery_survey, classification, "
           "redshift, current_mag, current_mag_mjd")

FILL_SQL = """
INSERT INTO marshall.transient (name, ra, dec, discovery_mjd, discovery_survey, classification,
                                redshift, current_mag, current_mag_mjd)
SELECT 'BENCH ' || i, random() * 360, degrees(asin(2 * random() - 1)), 60000 + random() * 1000,
       (ARRAY['ZTF', 'ATLAS', 'Gaia'])[1 + i %% 3],
       (ARRAY['SN Ia', 'SN II', 'TDE', NULL])[1 + i %% 4],
       random() * 0.2, 15 + random() * 6, 60000 + random() * 1000
FROM generate_series(1, %(rows)s) AS i
"""


def setup(data_dir: str, rows: int) -> None:
    """Create a data dir whose marshall.transient holds ``rows`` random rows."""
    env = dict(os.environ, SOXSVO_DATA_DIR=data_dir)
    subprocess.run([sys.executable, "-m", "soxsvo.cli.main", "db", "init"], env=env, check=True)
    from soxsvo.config import load_settings
    from soxsvo.db import Database

    database = Database(load_settings(env)).start()
    try:
        with database.connect() as conn:
            have = conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0]
            if have < rows:
                started = time.perf_counter()
                conn.execute(FILL_SQL, {"rows": rows - have})
                conn.commit()
                conn.autocommit = True
                conn.execute("CLUSTER marshall.transient USING transient_q3c")
                conn.execute("ANALYZE marshall.transient")
                print(f"filled {rows - have} rows in {time.perf_counter() - started:.1f} s")
            total = conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0]
            print(f"marshall.transient: {total} rows in {data_dir}")
    finally:
        database.stop()


class RSSSampler:
    """Summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def rss(self) -> int:
        import psutil

        total = 0
        for proc in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total

    def cpu(self) -> float:
        """CPU seconds (user + system) used so far by the process and its descendants."""
        import psutil

        total = 0.0
        for proc in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> RSSSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def fetch(url: str, table: str, rows: int) -> tuple[float, int, bytes]:
    """Stream ``SELECT TOP rows`` as BINARY2; seconds to the last byte, bytes, the tail.

    The body is read with http.client into one reused buffer: requests' ``iter_content`` cost
    as much CPU as the server itself (0.5 s per 114 MiB), which on a 2-core machine slows the
    server down; this reader takes 0.04 s.
    """
    parts = urllib.parse.urlsplit(f"{url}/sync")
    body = urllib.parse.urlencode({"LANG": "ADQL", "MAXREC": str(rows), "RESPONSEFORMAT": "votable",
                                   "QUERY": f"SELECT TOP {rows} {COLUMNS} FROM {table}"})
    connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                        else http.client.HTTPConnection)
    size, tail = 0, b""
    buffer = memoryview(bytearray(1 << 20))
    started = time.perf_counter()
    connection = connection_class(parts.netloc, timeout=600)
    try:
        connection.request("POST", parts.path, body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}: {answer.read(2000)!r}")
        while count := answer.readinto(buffer):
            size += count
            tail = (tail + bytes(buffer[max(0, count - 4096):count]))[-4096:]
    finally:
        connection.close()
    return time.perf_counter() - started, size, tail


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def run(url: str, pid: int, table: str, sizes: list[int], interval: float,
        db_pid: int | None = None) -> None:
    mib = 2 ** 20
    for _ in range(8):  # warm the workers (imports, pool, metadata caches)
        fetch(url, table, 1000)
    # CPU s: what the soxsvo processes spent on the request (PostgreSQL's backend is not a
    # descendant and is not counted): the cost whatever else shares the cores.
    database = RSSSampler(db_pid, interval) if db_pid else None
    print(f"{'rows':>9} {'seconds':>8} {'CPU s':>6} {'DB CPU':>6} {'client':>6} {'MiB':>7} "
          f"{'idle RSS':>9} {'peak RSS':>9} {'growth':>7}  "
          f"(RSS of pid {pid} and descendants, MiB; load average)")
    for rows in sizes:
        with RSSSampler(pid, interval) as sampler:
            idle, cpu = sampler.rss(), sampler.cpu()
            db_cpu = database.cpu() if database else float("nan")
            own = _own_cpu()
            seconds, size, tail = fetch(url, table, rows)
            own = _own_cpu() - own
            cpu = sampler.cpu() - cpu
            db_cpu = database.cpu() - db_cpu if database else float("nan")
        complete = tail.rstrip().endswith(b"</VOTABLE>") and b'value="ERROR"' not in tail
        status = "complete" if complete else "INCOMPLETE!"
        print(f"{rows:>9} {seconds:8.2f} {cpu:6.2f} {db_cpu:6.2f} {own:6.2f} "
              f"{size / mib:7.1f} {idle / mib:9.1f} {sampler.peak / mib:9.1f} "
              f"{(sampler.peak - idle) / mib:7.1f}  {status} {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("setup", help="build the catalogue in a fresh data dir")
    make.add_argument("--data-dir", required=True)
    make.add_argument("--rows", type=int, default=2_000_000)
    bench = sub.add_parser("run", help="stream results and sample the server's memory")
    bench.add_argument("url", help="TAP base URL, e.g. http://127.0.0.1:8123/tap")
    bench.add_argument("--pid", type=int, required=True, help="pid of `soxsvo serve`")
    bench.add_argument("--table", default="marshall.transient")
    bench.add_argument("--rows", type=int, action="append",
                       help="repeatable; default 100000 and 1000000")
    bench.add_argument("--interval", type=float, default=0.02)
    bench.add_argument("--db-pid", type=int,
                       help="PostgreSQL postmaster pid: also count its processes' CPU")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.data_dir, args.rows)
    else:
        run(args.url.rstrip("/"), args.pid, args.table, args.rows or [100_000, 1_000_000],
            args.interval, args.db_pid)


if __name__ == "__main__":
    main()
