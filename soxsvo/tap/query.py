"""Run one ADQL query as the read-only role and stream its rows in batches.

Shared by ``/tap/sync`` (rows go straight to the HTTP response) and the async workers (rows go
to a result file): both call :func:`prepare` and :func:`stream_rows` on a connection they own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import psycopg

from soxsvo import adql
from soxsvo.db.cursors import named_cursor
from soxsvo.db.metadata import ColumnMeta, TableMeta, published_tables
from soxsvo.errors import InputError
from soxsvo.formats import QueryStatus
from soxsvo.tap.result_types import (
    numbers_as_doubles,
    result_type_names,
    settle_datatypes,
)
from soxsvo.tap.uploads import upload_table_sql

#: Rows fetched from the server-side cursor per round trip: big enough to amortise the round
#: trip, small enough that memory stays flat whatever the result size.
BATCH_ROWS = 10_000


@dataclass
class QueryOutcome(QueryStatus):
    """The writers' query status (overflow, known only after the last row) plus the row count.

    Passed as ``overflow=`` to a writer, which reads it once the batches are consumed.
    """

    rows: int = 0


@dataclass
class PreparedQuery:
    """A translated query: SQL, parameters and result columns."""

    adql_text: str
    sql: str
    params: dict
    columns: tuple[ColumnMeta, ...]
    outcome: QueryOutcome = field(default_factory=QueryOutcome)


def prepare(adql_text: str, uploads: Sequence[TableMeta] = (),
            conn: psycopg.Connection | None = None,
            tables: Sequence[TableMeta] | None = None) -> PreparedQuery:
    """Translate ADQL against the published tables and any uploaded ones.

    With ``conn``, the result columns' datatypes are those PostgreSQL resolves (see
    :mod:`soxsvo.tap.result_types`): every output format then declares and writes the
    values the database computes. ``tables`` are the published tables
    (:func:`soxsvo.db.metadata.all_tables`, which the operator's tables are among); the
    built-in ones when not given.

    Raises
    ------
    DALIError
        With the parser's or validator's message (line and column included).
    """
    if not adql_text or not adql_text.strip():
        raise InputError("parameter QUERY is missing or empty")
    try:
        known = published_tables() if tables is None else tables
        translation = adql.translate(adql_text, (*known, *uploads),
                                     table_sql=upload_table_sql,
                                     max_region_fov=_asker(conn) if conn else None)
    except adql.ADQLError as exc:
        raise InputError(f"ADQL error: {exc}") from None
    sql, params = translation.sql, dict(translation.params)
    columns = tuple(translation.columns)
    if conn is not None:
        type_names = result_type_names(conn, sql, params)
        sql = numbers_as_doubles(sql, columns, type_names)
        columns = settle_datatypes(columns, type_names)
    return PreparedQuery(adql_text, sql, params, columns)



def _asker(conn: psycopg.Connection):
    """Answers the translator's ``max_region_fov`` queries on ``conn`` (an indexed max, as the
    reader: rows it cannot see do not widen the bound). Read when the query is translated: a
    footprint wider than all before, ingested between that and the query, could be missed
    by that one query."""
    def largest(sql: str) -> float | None:
        return conn.execute(sql, {}).fetchone()[0]
    return largest


def stream_rows(conn: psycopg.Connection, query: PreparedQuery, maxrec: int) -> Iterator[list]:
    """Yield batches of at most ``BATCH_ROWS`` rows, ``maxrec`` rows in all.

    One row more than MAXREC is fetched (and dropped) so that overflow is known exactly: the
    query had more rows only if that extra row exists.
    """
    if maxrec == 0:
        return
    with named_cursor(conn, "tap_query") as cursor:
        cursor.itersize = BATCH_ROWS
        cursor.execute(query.sql, query.params or None)
        remaining = maxrec
        while remaining > 0:
            batch = cursor.fetchmany(min(BATCH_ROWS, remaining + 1))
            if not batch:
                break
            if len(batch) > remaining:
                query.outcome.overflow = True
                batch = batch[:remaining]
            remaining -= len(batch)
            query.outcome.rows += len(batch)
            yield batch
        if remaining == 0 and not query.outcome.overflow:
            query.outcome.overflow = bool(cursor.fetchmany(1))


def query_error_message(exc: psycopg.Error) -> tuple[str, int]:
    """A person-readable message and HTTP status for a database error during a query."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return ("query exceeded its time limit and was cancelled; add constraints (a smaller "
                "region, TOP) or use the asynchronous endpoint /tap/async", 400)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "query touches data this service does not publish", 400
    # Class 54 (program limit exceeded: too many columns, too complex a statement) is the
    # query's size, not the service's failure.
    if (isinstance(exc, psycopg.errors.DataError | psycopg.errors.ProgrammingError)
            or (exc.sqlstate or "").startswith("54")):
        return f"query failed in the database: {exc.diag.message_primary or exc}", 400
    if isinstance(exc, psycopg.errors.InternalError_) and "declination" in str(exc):
        # q3c refuses a latitude beyond 90 degrees with an internal error: a value of the
        # query (or of an uploaded table), not a failure of the service.
        return f"query failed: {exc.diag.message_primary or exc}", 400
    return f"query failed: {exc.diag.message_primary or exc}", 500
