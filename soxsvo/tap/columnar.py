"""Query results as Arrow record batches: ``COPY (query) TO STDOUT (FORMAT csv)`` parsed by
pyarrow, for results whose columns are all scalars and plain strings.

Reading a million rows through psycopg builds ten million Python objects; the CSV stream is
parsed in C++ into columns that the BINARY2 encoder turns into bytes with numpy
(:mod:`soxsvo.votable.columnar`). COPY streams as PostgreSQL produces rows, so memory stays
one block (about 1 MiB) deep whatever the result size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import psycopg
import pyarrow as pa
from pyarrow import csv as pa_csv

from soxsvo.db.metadata import ColumnMeta
from soxsvo.tap.query import PreparedQuery
from soxsvo.votable.columnar import arrow_type
from soxsvo.votable.fields import UnsupportedColumnError, column_specs

#: Bytes of CSV pyarrow parses per batch (about 10,000 rows of ten columns).
BLOCK_BYTES = 1 << 20


def arrow_types(columns: Sequence[ColumnMeta]) -> list[pa.DataType] | None:
    """Arrow type of every column, or None when one of them needs the tuple path."""
    try:
        types = [arrow_type(spec) for spec in column_specs(columns)]
    except UnsupportedColumnError:
        return None
    return None if any(t is None for t in types) else types


class _CopyStream(io.RawIOBase):
    """A readable file over the blocks of a psycopg COPY TO; keeps a database error to re-raise
    as itself (pyarrow would wrap it)."""

    def __init__(self, copy) -> None:
        self._blocks = iter(copy)
        self._pending = memoryview(b"")
        self.error: psycopg.Error | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._blocks))
            except StopIteration:
                return 0
            except psycopg.Error as exc:
                self.error = exc
                raise
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def arrow_batches(conn: psycopg.Connection, query: PreparedQuery, maxrec: int,
                  types: list[pa.DataType]) -> Iterator[pa.RecordBatch]:
    """Yield the result as record batches, ``maxrec`` rows in all (overflow as
    :func:`soxsvo.tap.query.stream_rows` signals it: one row more is asked for)."""
    if maxrec == 0:
        return
    names = [f"c{i}" for i in range(len(types))]
    sql = f"COPY (SELECT * FROM ({query.sql}) AS q LIMIT {int(maxrec) + 1}) TO STDOUT (FORMAT csv)"
    with conn.cursor() as cursor, cursor.copy(sql, query.params or None) as copy:
        stream = _CopyStream(copy)
        try:
            reader = pa_csv.open_csv(
                io.BufferedReader(stream, BLOCK_BYTES),
                read_options=pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES,
                                                use_threads=False),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict(zip(names, types, strict=True)), null_values=[""],
                    strings_can_be_null=True, quoted_strings_can_be_null=False,
                    true_values=["t"], false_values=["f"]))
            remaining = maxrec
            for batch in reader:
                if batch.num_rows > remaining:
                    query.outcome.overflow = True
                    batch = batch.slice(0, remaining)
                remaining -= batch.num_rows
                query.outcome.rows += batch.num_rows
                if batch.num_rows:
                    yield batch
        except pa.ArrowInvalid as exc:
            if stream.error is not None:
                raise stream.error from None
            if "Empty CSV file" in str(exc):
                return
            raise
        except pa.ArrowException:
            if stream.error is not None:
                raise stream.error from None
            raise
