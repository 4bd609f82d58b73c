"""The COPY → Arrow → numpy path of BINARY/BINARY2 results gives byte for byte the rows of the
psycopg-tuple path (the oracle), with nulls, edge values, odd strings and MAXREC overflow."""

from __future__ import annotations

import base64
import re

import psycopg
import pytest

from soxsvo.db.metadata import ColumnMeta
from soxsvo.tap.columnar import arrow_batches, arrow_types
from soxsvo.tap.query import PreparedQuery, stream_rows
from soxsvo.votable import resolve_format

COLUMNS = (
    ColumnMeta("id", "long"), ColumnMeta("i4", "int"), ColumnMeta("i2", "short"),
    ColumnMeta("f8", "double"), ColumnMeta("f4", "float"), ColumnMeta("ok", "boolean"),
    ColumnMeta("txt", "char", arraysize="*"), ColumnMeta("code", "char", arraysize="8*"),
)
EDGE_ROWS = [
    (1, 7, -3, 1.5, 0.25, True, "plain", "A"),
    (2, None, None, None, None, None, None, None),
    (3, 2**31 - 1, 2**15 - 1, float("nan"), float("inf"), False, "", ""),
    (4, -2**31 + 1, -2**15 + 1, float("-inf"), -1e-30, True, 'comma, "quote"\nnewline', "x"),
    (5, 0, 0, 1e-300, 3.4e38, None, "héllo wörld", None),
    (2**63 - 1, 1, 1, -0.0, 1.0, True, "tab\there", "NULL"),
]


@pytest.fixture
def table(db_conn: psycopg.Connection) -> str:
    db_conn.execute("CREATE TEMP TABLE t (id bigint, i4 integer, i2 smallint, f8 float8, "
                    "f4 real, ok boolean, txt text, code text)")
    with db_conn.cursor().copy("COPY t FROM STDIN") as copy:
        for row in EDGE_ROWS:
            copy.write_row(row)
    db_conn.execute("INSERT INTO t SELECT 1000 + i, i, i % 100, i / 7.0, i / 3.0, i % 2 = 0, "
                    "'row ' || i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || i % 9 END "
                    "FROM generate_series(1, 25000) AS i")
    return "t"


def _payload(document: bytes) -> bytes:
    text = re.search(rb'<STREAM encoding="base64">(.*?)</STREAM>', document, re.S).group(1)
    return base64.b64decode(b"".join(text.split()))


def _both(conn, fmt: str, sql: str, maxrec: int) -> tuple[tuple, tuple]:
    writer = resolve_format(fmt)
    results = []
    for columnar in (True, False):
        query = PreparedQuery("test", sql, {}, COLUMNS)
        batches = (arrow_batches(conn, query, maxrec, arrow_types(COLUMNS)) if columnar
                   else stream_rows(conn, query, maxrec))
        document = b"".join(writer.stream(COLUMNS, batches, overflow=query.outcome))
        results.append((_payload(document), query.outcome.overflow, query.outcome.rows))
    return results[0], results[1]


@pytest.mark.parametrize("fmt", ["votable", "votable/b"])
def test_columnar_rows_equal_the_tuple_path(db_conn, table, fmt) -> None:
    fast, oracle = _both(db_conn, fmt, f"SELECT * FROM {table} ORDER BY id", 10**6)
    assert fast == oracle
    assert fast[2] == len(EDGE_ROWS) + 25000
    assert not fast[1]


@pytest.mark.parametrize(("maxrec", "overflow"), [(3, True), (6, True), (25006, False),
                                                  (30000, False)])
def test_columnar_maxrec_and_overflow(db_conn, table, maxrec, overflow) -> None:
    fast, oracle = _both(db_conn, "votable", f"SELECT * FROM {table} ORDER BY id", maxrec)
    assert fast == oracle
    assert fast[1] is overflow
    assert fast[2] == min(maxrec, 25006)


def test_columnar_empty_result(db_conn, table) -> None:
    fast, oracle = _both(db_conn, "votable", f"SELECT * FROM {table} WHERE id < 0", 100)
    assert fast == oracle == (b"", False, 0)


def test_only_scalar_and_plain_string_columns_take_the_columnar_path() -> None:
    assert arrow_types(COLUMNS) is not None
    assert arrow_types((ColumnMeta("t", "char", arraysize="*", xtype="timestamp"),)) is None
    assert arrow_types((ColumnMeta("p", "double", arraysize="*", xtype="polygon"),)) is None
    assert arrow_types((ColumnMeta("u", "unicodeChar", arraysize="*"),)) is None
    region = ColumnMeta("s_region", "char", arraysize="*", xtype="adql:REGION")
    assert arrow_types((region,)) is not None


def test_database_errors_surface_as_themselves(db_conn, table) -> None:
    query = PreparedQuery("test", f"SELECT * FROM {table} WHERE 1 / (id - id) = 0", {},
                          COLUMNS)
    with pytest.raises(psycopg.errors.DivisionByZero):
        next(arrow_batches(db_conn, query, 100, arrow_types(COLUMNS)))
