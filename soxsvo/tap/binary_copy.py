"""Query results as blocks of PostgreSQL binary COPY rows, for results of scalar columns.

``COPY (query) TO STDOUT (FORMAT binary)`` with every column cast to the PostgreSQL type of its
VOTable datatype: the blocks go to :func:`soxsvo.formats.pgbinary.transcode` unparsed, so no
Python object is made per value. PostgreSQL sends one protocol message per row; psycopg's
``Copy`` iteration costs a generator round per message (0.7 s per million rows), so the rows
are taken from libpq by compiled code (:mod:`soxsvo.db.libpq_copy`, 0.14 s) or, where that is
not available, by a plain Python loop (0.33 s), into blocks of about 1 MiB: memory stays one
block deep whatever the result size, and the first block leaves as soon as it is read.
"""

from __future__ import annotations

import select
from collections.abc import Iterator, Sequence

import numpy as np
import psycopg
from psycopg import errors, pq

from soxsvo.db.copy_format import SIGNATURE, TRAILER
from soxsvo.db.libpq_copy import MORE_DATA, block_reader, release_pending
from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.fields import UnsupportedColumnError, column_specs
from soxsvo.formats.pgbinary import PgBinaryRows, pg_type
from soxsvo.tap.query import PreparedQuery

#: Bytes of COPY data per block handed to the encoder.
BLOCK_BYTES = 1 << 20
#: Room past BLOCK_BYTES in a block of the compiled reader: the row crossing the mark fits
#: (a longer one gets a block of its own size).
BLOCK_SLACK = 1 << 16


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
    readable = _Readable(pgconn, conn.info.encoding)
    first = _first_row(pgconn, readable)
    if first is _ENDED:
        readable.finish()
        return
    reader = block_reader()
    if reader is None:
        yield from _python_blocks(pgconn, readable, query, maxrec, first)
    else:
        yield from _compiled_blocks(reader, pgconn, readable, query, maxrec, first)


_ENDED = object()


def _first_row(pgconn: pq.abc.PGconn, readable: _Readable):
    """The first row (None if the result is empty) after the file header, or _ENDED if the
    COPY ended before a row (an error: :func:`_finish` raises it)."""
    while True:
        nbytes, data = pgconn.get_copy_data(1)
        if nbytes > 0:
            data = _strip_header(data)
            return None if not data or data == TRAILER else data  # trailer: empty result
        if nbytes < 0:
            return _ENDED
        readable.wait()


def _python_blocks(pgconn: pq.abc.PGconn, readable: _Readable, query: PreparedQuery,
                   maxrec: int, first) -> Iterator[PgBinaryRows]:
    """Rows taken one by one through psycopg (where :func:`block_reader` is not available)."""
    get = pgconn.get_copy_data
    # Appending to a bytearray frees each libpq buffer at once: keeping a million memoryviews
    # for a join cost 0.5 s more per million rows.
    block = bytearray(first or b"")
    rows = 1 if first else 0
    total = 0
    while True:
        nbytes, data = get(1)
        if nbytes > 0:
            if nbytes == 2 and data == TRAILER:
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
    readable.finish()
    if rows:
        yield _block(block, rows, query)


def _compiled_blocks(reader, pgconn: pq.abc.PGconn, readable: _Readable, query: PreparedQuery,
                     maxrec: int, first) -> Iterator[PgBinaryRows]:
    """Rows taken from libpq by :func:`soxsvo.db.libpq_copy.block_reader`'s loop."""
    state = np.zeros(6, np.int64)  # see block_reader
    state[0] = maxrec
    block = _new_block(0)
    if first:
        block[:len(first)] = np.frombuffer(first, np.uint8)
        state[:3] = (maxrec - 1, len(first), 1)
    try:
        while True:
            status = reader(pgconn.pgconn_ptr, state, block, BLOCK_BYTES)
            if status == MORE_DATA:
                readable.wait()
                continue
            if status < -1:  # libpq could not read (psycopg's own loop raises the same)
                raise psycopg.OperationalError("reading COPY data failed: "
                                               + pgconn.error_message.decode(errors="replace"))
            if status < 0:
                break
            if state[2]:  # BLOCK_FULL
                yield _block(block[:state[1]], int(state[2]), query)
            block = _new_block(int(state[4]))
            state[1:3] = 0
    finally:
        release_pending(state)  # a row read but not yet placed, if the stream was closed
    query.outcome.overflow = query.outcome.overflow or bool(state[3])
    readable.finish()
    if state[2]:
        yield _block(block[:state[1]], int(state[2]), query)


def _new_block(pending: int) -> np.ndarray:
    """A block with room for BLOCK_BYTES and the row that crosses that mark (or ``pending``)."""
    return np.empty(max(BLOCK_BYTES + BLOCK_SLACK, pending), np.uint8)


def _block(block: bytearray | np.ndarray, rows: int, query: PreparedQuery) -> PgBinaryRows:
    query.outcome.rows += rows
    return PgBinaryRows(block, rows)


def _strip_header(data) -> memoryview:
    """The first message starts with the file header: signature, flags, extension area."""
    data = memoryview(data)
    if bytes(data[:len(SIGNATURE)]) != SIGNATURE:
        raise psycopg.DataError("binary COPY data without its header")
    extension = int.from_bytes(data[15:19], "big")
    return data[19 + extension:]


class _Readable:
    """Waits (without the GIL) until the connection's socket has data, then lets libpq read
    it; takes the COPY's final results.

    ``poll``, not ``select``: a busy server's socket numbers may pass select's limit of 1024.
    """

    def __init__(self, pgconn: pq.abc.PGconn, encoding: str) -> None:
        self._pgconn = pgconn
        self._encoding = encoding
        self._poll = select.poll()
        self._poll.register(pgconn.socket, select.POLLIN)

    def wait(self) -> None:
        self._poll.poll()
        self._pgconn.consume_input()

    def finish(self) -> None:
        """Take the COPY's final results; raise the first error as psycopg would."""
        failure = None
        while True:
            while self._pgconn.is_busy():
                self.wait()
            result = self._pgconn.get_result()
            if result is None:
                break
            if result.status == pq.ExecStatus.FATAL_ERROR and failure is None:
                failure = errors.error_from_result(result, encoding=self._encoding)
        if failure is not None:
            raise failure
