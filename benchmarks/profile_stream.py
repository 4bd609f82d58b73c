"""Where the time of a big BINARY2 result goes, in process (no HTTP): stage by stage.

Runs the query of ``bench_stream.py`` (``SELECT TOP n`` of ten columns of
``marshall.transient``) through ``soxsvo.tap`` on a data dir made by ``bench_stream.py setup``,
as the anonymous reader, and times each stage alone, then the whole stream as ``/tap/sync``
produces it:

    SOXSVO_DATA_DIR=var-bench python benchmarks/profile_stream.py --rows 1000000

Stages (each run on its own, so each figure includes the COPY it needs):

* ``copy csv`` / ``copy binary``: PostgreSQL produces the rows, the client only drains them.
* ``read binary blocks``: ``soxsvo.tap.binary_copy`` reading alone (libpq messages joined).
* ``transcode``: the same blocks transcoded to BINARY2 rows (``soxsvo.formats.pgbinary``).
* ``base64 binascii`` / ``base64 pybase64``: encoding of the BINARY2 bytes alone.
* ``stream``: the writer's whole output as the sync endpoint streams it.

Each line gives wall seconds, CPU seconds of this process and of the PostgreSQL backend (read
from /proc: the database must run on the same machine, else NaN) and the load average.
"""

from __future__ import annotations

import argparse
import binascii
import os
import resource
import time
from collections.abc import Callable, Iterator

COLUMNS = ("transient_id, name, ra, dec, discovery_mjd, discovery_survey, classification, "
           "redshift, current_mag, current_mag_mjd")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(pid: int) -> float:
    """CPU seconds of the PostgreSQL backend ``pid`` (same machine), NaN if unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(label: str, action: Callable[[], int], backend: int) -> None:
    wall, cpu, pg = time.perf_counter(), _cpu(), _backend_cpu(backend)
    size = action()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    pg = _backend_cpu(backend) - pg
    load = os.getloadavg()[0]
    print(f"{label:<24} {wall:6.2f} s wall {cpu:5.2f} s CPU  PostgreSQL {pg:5.2f} s CPU"
          f" {size / 2**20:7.1f} MiB  load {load:.1f}")


class Profile:
    """The stages, each in its own read-only transaction on one connection."""

    def __init__(self, conn, rows: int) -> None:
        from soxsvo.tap.query import prepare

        self.conn = conn
        self.rows = rows
        self.adql = f"SELECT TOP {rows} {COLUMNS} FROM marshall.transient"
        self._prepare = prepare

    def _begin(self):
        from soxsvo.access import begin_as_reader

        self.conn.rollback()
        begin_as_reader(self.conn, 600)
        return self._prepare(self.adql)

    def drain(self, fmt: str) -> int:
        query = self._begin()
        sql = f"COPY ({query.sql}) TO STDOUT (FORMAT {fmt})"
        size = 0
        with self.conn.cursor().copy(sql, query.params or None) as copy:
            for block in copy:
                size += len(block)
        return size

    def encode(self) -> int:
        return sum(len(block) for block in self._encoded())

    def _encoded(self) -> Iterator[bytes]:
        from soxsvo.formats.binary import BinaryEncoder
        from soxsvo.formats.fields import column_specs
        from soxsvo.tap import binary_copy

        query = self._begin()
        encoder = BinaryEncoder(column_specs(query.columns), binary2=True)
        types = binary_copy.pg_types(query.columns)
        for block in binary_copy.binary_batches(self.conn, query, self.rows, types):
            yield encoder.encode(block)

    def read_binary(self) -> int:
        from soxsvo.tap import binary_copy

        query = self._begin()
        types = binary_copy.pg_types(query.columns)
        return sum(len(block.data) for block in
                   binary_copy.binary_batches(self.conn, query, self.rows, types))

    def base64(self, encode: Callable[[bytes], bytes]) -> int:
        blocks = list(self._encoded())
        wall, cpu = time.perf_counter(), _cpu()
        size = sum(len(encode(block)) for block in blocks)
        print(f"    (encoded in memory first; base64 alone: {time.perf_counter() - wall:.3f} s"
              f" wall, {_cpu() - cpu:.3f} s CPU)")
        return size

    def stream(self) -> int:
        from soxsvo.tap.sync import resolve_writer, result_batches

        query = self._begin()
        writer = resolve_writer("votable")
        batches = result_batches(self.conn, query, self.rows, writer)
        return sum(len(chunk) for chunk in writer.stream(query.columns, batches,
                                                          overflow=query.outcome))


def main() -> None:
    import pybase64

    from soxsvo.config import load_settings
    from soxsvo.db import Database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", action="append", help="stage label prefix (repeatable)")
    args = parser.parse_args()
    database = Database(load_settings()).start()
    try:
        with database.connect() as conn:
            profile = Profile(conn, args.rows)
            profile.stream()  # warm: imports, caches, the table in shared buffers
            stages = [
                ("copy csv", lambda: profile.drain("csv")),
                ("copy binary", lambda: profile.drain("binary")),
                ("read binary blocks", profile.read_binary),
                ("transcode", profile.encode),
                ("base64 binascii",
                 lambda: profile.base64(lambda b: binascii.b2a_base64(b, newline=True))),
                ("base64 pybase64", lambda: profile.base64(pybase64.b64encode)),
                ("stream", profile.stream),
            ]
            for label, action in stages:
                if not args.only or any(label.startswith(o) for o in args.only):
                    _timed(label, action, conn.info.backend_pid)
            conn.rollback()
    finally:
        database.stop()


if __name__ == "__main__":
    main()
