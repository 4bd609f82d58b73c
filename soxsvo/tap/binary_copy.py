"""Query results as blocks of PostgreSQL binary COPY rows, for results of scalar columns.

``COPY (query) TO STDOUT (FORMAT binary)`` with every column cast to the PostgreSQL type of its
VOTable datatype: the blocks go to :func:`soxsvo.votable.pgbinary.transcode` unparsed, so no
Python object is made per value. PostgreSQL sends one protocol message per row; psycopg's
``Copy`` iteration costs a generator round per message (0.7 s per million rows), so messages
are taken from libpq here in a plain loop (0.3 s) and joined into blocks of about 1 MiB: memory
stays one block deep whatever the result size, and the first block leaves as soon as it is read.
"""

from __future__ import annotations

import select
from collections.abc import Iterator, Sequence

import psycopg
from psycopg import errors, pq

from soxsvo.db.metadata import ColumnMeta
from soxsvo.tap.query import PreparedQuery
from soxsvo.votable.fields import UnsupportedColumnError, column_specs
from soxsvo.votable.pgbinary import PgBinaryRows, pg_type

#: Bytes of COPY data per block handed to the encoder.
BLOCK_BYTES = 1 << 20
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TRAILER = b"\xff\xff"


def pg_types(columns: Sequence[ColumnMeta],
             conn: psycopg.Connection | None = None) -> list[str] | None:
    """PostgreSQL cast of every column, or None when one of them needs the tuple path (as do
    all columns on a connection whose client encoding is not UTF-8: text arrives as is)."""
    if conn is not None and conn.info.encoding != "utf-8":
        return None
    try:
        types = [pg_type(spec) for spec in column_specs(columns)]
    except UnsupportedColumnError:
        return None
    return None if any(t is None for t in types) else types


def copy_sql(conn: psycopg.Connection, query: PreparedQuery, limit: int,
             types: Sequence[str]) -> str:
    """The COPY statement: columns renamed by position (names may repeat), cast, limited;
    parameters bound on the client (COPY takes none)."""
    names = [f"c{i}" for i in range(len(types))]
    casts = ", ".join(f"q.{n}::{t}" for n, t in zip(names, types, strict=True))
    inner = psycopg.ClientCursor(conn).mogrify(query.sql, query.params or None)
    return (f"COPY (SELECT {casts} FROM ({inner}) AS q({', '.join(names)}) LIMIT {int(limit)})"
            " TO STDOUT (FORMAT binary)")


def binary_batches(conn: psycopg.Connection, query: PreparedQuery, maxrec: int,
                   types: Sequence[str]) -> Iterator[PgBinaryRows]:
    """Yield the result as blocks of binary rows, ``maxrec`` rows in all (overflow as
    :func:`soxsvo.tap.query.stream_rows` signals it: one row more is asked for)."""
    if maxrec == 0:
        return
    sql = copy_sql(conn, query, maxrec + 1, types)
    with conn.cursor() as cursor, cursor.copy(sql):
        # psycopg has sent the statement and seen COPY OUT start; from here to the end of the
        # COPY only this loop talks to libpq. An early close (client gone) leaves the block
        # with GeneratorExit: psycopg then cancels and drains the COPY itself.
        yield from _read_blocks(conn, query, maxrec)


def _read_blocks(conn: psycopg.Connection, query: PreparedQuery,
                 maxrec: int) -> Iterator[PgBinaryRows]:
    pgconn = conn.pgconn
    readable = _Readable(pgconn)
    get = pgconn.get_copy_data
    # Appending to a bytearray frees each libpq buffer at once: keeping a million memoryviews
    # for a join cost 0.5 s more per million rows.
    block = bytearray()
    rows = total = 0
    first = True
    while True:
        nbytes, data = get(1)
        if nbytes > 0:
            if first:
                first = False
                data = _strip_header(data)
                if not data or data == _TRAILER:  # header alone, or an empty result
                    continue
            if nbytes == 2 and data == _TRAILER:
                continue
            if total + rows == maxrec:
                query.outcome.overflow = True
                continue
            block += data
            rows += 1
            if len(block) >= BLOCK_BYTES:
                total += rows
                yield _block(block, rows, query)
                block, rows = bytearray(), 0
        elif nbytes == 0:
            readable.wait()
        else:
            break
    _finish(pgconn, readable, conn.info.encoding)
    if rows:
        yield _block(block, rows, query)


def _block(block: bytearray, rows: int, query: PreparedQuery) -> PgBinaryRows:
    query.outcome.rows += rows
    return PgBinaryRows(block, rows)


def _strip_header(data) -> memoryview:
    """The first message starts with the file header: signature, flags, extension area."""
    data = memoryview(data)
    if bytes(data[:11]) != _SIGNATURE:
        raise psycopg.DataError("binary COPY data without its header")
    extension = int.from_bytes(data[15:19], "big")
    return data[19 + extension:]


class _Readable:
    """Wait (without the GIL) until the connection's socket has data, then let libpq read it.

    ``poll``, not ``select``: a busy server's socket numbers may pass select's limit of 1024.
    """

    def __init__(self, pgconn: pq.abc.PGconn) -> None:
        self._pgconn = pgconn
        self._poll = select.poll()
        self._poll.register(pgconn.socket, select.POLLIN)

    def wait(self) -> None:
        self._poll.poll()
        self._pgconn.consume_input()


def _finish(pgconn: pq.abc.PGconn, readable: _Readable, encoding: str) -> None:
    """Take the COPY's final results; raise the first error as psycopg would."""
    failure = None
    while True:
        while pgconn.is_busy():
            readable.wait()
        result = pgconn.get_result()
        if result is None:
            break
        if result.status == pq.ExecStatus.FATAL_ERROR and failure is None:
            failure = errors.error_from_result(result, encoding=encoding)
    if failure is not None:
        raise failure
