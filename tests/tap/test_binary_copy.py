"""The binary COPY path of BINARY/BINARY2 results (soxsvo.tap.binary_copy transcoded by
soxsvo.formats.pgbinary) gives byte for byte the rows of the psycopg-tuple path (the oracle),
with nulls in every column type, edge values, odd strings, casts and MAXREC overflow."""

from __future__ import annotations

import base64
import re

import numpy as np
import psycopg
import pytest

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats import resolve_format
from soxsvo.tap.binary_copy import binary_batches, pg_types
from soxsvo.tap.query import PreparedQuery, stream_rows

COLUMNS = (
    ColumnMeta("id", "long"), ColumnMeta("i4", "int"), ColumnMeta("i2", "short"),
    ColumnMeta("f8", "double"), ColumnMeta("f4", "float"), ColumnMeta("ok", "boolean"),
    ColumnMeta("txt", "char", arraysize="*"), ColumnMeta("code", "char", arraysize="8*"),
)
SELECT_ALL = "SELECT id, i4, i2, f8, f4, ok, txt, code FROM t"
EDGE_ROWS = [
    (1, 7, -3, 1.5, 0.25, True, "plain", "A"),
    (2, None, None, None, None, None, None, None),
    (3, 2**31 - 1, 2**15 - 1, float("nan"), float("nan"), False, "", ""),
    (4, -2**31, -2**15, float("-inf"), -1e-30, True, 'comma, "quote"\nnewline', "x"),
    (5, 0, 0, 1e-300, 3.4e38, None, "héllo wörld", None),
    (2**63 - 1, 1, 1, -0.0, float("inf"), True, "tab\there", "NULL"),
    (-2**63, -1, -1, 5e-324, -0.0, False, "emoji 🙂 and ∑ €", "日本"),
    (6, None, 5, 2.0, None, True, None, ""),
]


@pytest.fixture(autouse=True, params=["compiled", "python"])
def read_loop(request, monkeypatch) -> str:
    """Every test runs with rows taken from libpq by the compiled loop and by the Python loop
    (the fallback where libpq cannot be called directly)."""
    from soxsvo.tap import binary_copy

    if request.param == "compiled":
        assert binary_copy.block_reader() is not None
    else:
        monkeypatch.setattr(binary_copy, "block_reader", lambda: None)
    return request.param


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
    # NaN with the sign bit set (arithmetic makes it): written as numpy's one NaN pattern
    db_conn.execute("INSERT INTO t VALUES (7, 0, 0, -('NaN'::float8), -('NaN'::float4), "
                    "NULL, 'x', 'y')")
    return "t"


def _payload(document: bytes) -> bytes:
    text = re.search(rb'<STREAM encoding="base64">(.*?)</STREAM>', document, re.S).group(1)
    return base64.b64decode(b"".join(text.split()), validate=True)


def _both(conn, fmt: str, sql: str, maxrec: int, columns=COLUMNS,
          params: dict | None = None) -> tuple[tuple, tuple]:
    writer = resolve_format(fmt)
    results = []
    for fast in (True, False):
        query = PreparedQuery("test", sql, params or {}, columns)
        batches = (binary_batches(conn, query, maxrec, pg_types(columns)) if fast
                   else stream_rows(conn, query, maxrec))
        document = b"".join(writer.stream(columns, batches, overflow=query.outcome))
        results.append((_payload(document), query.outcome.overflow, query.outcome.rows))
    return results[0], results[1]


@pytest.mark.parametrize("fmt", ["votable", "votable/b"])
def test_binary_copy_rows_equal_the_tuple_path(db_conn, table, fmt) -> None:
    fast, oracle = _both(db_conn, fmt, f"{SELECT_ALL} ORDER BY id", 10**6)
    assert fast == oracle
    assert fast[2] == len(EDGE_ROWS) + 25001
    assert not fast[1]


def test_nulls_nan_and_non_ascii_as_a_reader_sees_them(db_conn, table) -> None:
    """Decoded with astropy: nulls masked in every type, NaN not null, non-ASCII as ?."""
    from io import BytesIO

    from astropy.io.votable import parse_single_table

    query = PreparedQuery("test", f"{SELECT_ALL} WHERE id < 1000 ORDER BY id", {}, COLUMNS)
    writer = resolve_format("votable")
    document = b"".join(writer.stream(COLUMNS, binary_batches(db_conn, query, 100,
                                                              pg_types(COLUMNS))))
    rows = parse_single_table(BytesIO(document)).array
    null_row = rows[rows["id"] == 2]
    # astropy reads no null flag of strings: those are checked in the bytes below
    assert [name for name in rows.dtype.names if null_row.mask[name][0]] == [
        "i4", "i2", "f8", "f4", "ok"]
    assert rows[rows["id"] == 3][0]["txt"] == ""
    assert rows[rows["id"] == 5][0]["txt"] == "h?llo w?rld"
    assert rows[rows["id"] == -2**63][0]["txt"] == "emoji ? and ? ?"

    def one_row(row_id: int) -> bytes:
        one = PreparedQuery("test", f"{SELECT_ALL} WHERE id = {row_id}", {}, COLUMNS)
        return _payload(b"".join(writer.stream(COLUMNS, binary_batches(db_conn, one, 100,
                                                                        pg_types(COLUMNS)))))

    nulls = one_row(2)
    assert nulls[0] == 0b01111111  # eight columns, one flag byte: all null but id
    assert nulls[-8:] == bytes(8)  # both strings: length 0
    nans = one_row(3)
    assert nans[0] == 0  # NaN is a value, not a null
    assert np.isnan(np.frombuffer(nans, ">f8", 1, offset=1 + 8 + 4 + 2)[0])


@pytest.mark.parametrize(("maxrec", "overflow"), [(1, True), (3, True), (8, True),
                                                  (25009, False), (30000, False)])
def test_maxrec_and_overflow(db_conn, table, maxrec, overflow) -> None:
    fast, oracle = _both(db_conn, "votable", f"{SELECT_ALL} ORDER BY id", maxrec)
    assert fast == oracle
    assert fast[1] is overflow
    assert fast[2] == min(maxrec, 25009)


def test_overflow_after_several_blocks(db_conn, table, monkeypatch) -> None:
    from soxsvo.tap import binary_copy

    monkeypatch.setattr(binary_copy, "BLOCK_BYTES", 4096)  # many small blocks
    query = PreparedQuery("test", f"{SELECT_ALL} ORDER BY id", {}, COLUMNS)
    blocks = list(binary_batches(db_conn, query, 20000, pg_types(COLUMNS)))
    assert len(blocks) > 100
    assert sum(len(block) for block in blocks) == query.outcome.rows == 20000
    assert query.outcome.overflow
    fast, oracle = _both(db_conn, "votable", f"{SELECT_ALL} ORDER BY id", 20000)
    assert fast == oracle


def test_empty_result(db_conn, table) -> None:
    fast, oracle = _both(db_conn, "votable", f"{SELECT_ALL} WHERE id = -5", 100)
    assert fast == oracle == (b"", False, 0)


def test_casts_to_the_declared_types_repeated_names_and_parameters(db_conn, table) -> None:
    """Columns are taken by position and cast to their VOTable datatype: numeric as double,
    integer as long, varchar as char; two columns may share a name; parameters are bound."""
    columns = (ColumnMeta("id", "long"), ColumnMeta("id", "double"),
               ColumnMeta("n", "double"), ColumnMeta("v", "char", arraysize="*"))
    sql = ("SELECT i4 AS id, id AS id, i4 / 3.0 AS n, code::varchar(3) AS v FROM t "
           "WHERE id > %(low)s ORDER BY t.id")
    fast, oracle = _both(db_conn, "votable", sql, 10**6, columns, {"low": 1500})
    assert fast == oracle
    assert fast[2] == 24500 + 1  # and 2**63 - 1


def test_only_scalar_and_plain_string_columns_take_the_binary_path() -> None:
    assert pg_types(COLUMNS) == ["int8", "int4", "int2", "float8", "float4", "bool", "text",
                                 "text"]
    assert pg_types((ColumnMeta("t", "char", arraysize="*", xtype="timestamp"),)) is None
    assert pg_types((ColumnMeta("p", "double", arraysize="*", xtype="polygon"),)) is None
    assert pg_types((ColumnMeta("u", "unicodeChar", arraysize="*"),)) is None
    assert pg_types((ColumnMeta("b", "unsignedByte"),)) is None
    region = ColumnMeta("s_region", "char", arraysize="*", xtype="adql:REGION")
    assert pg_types((region,)) == ["text"]


def test_database_errors_surface_as_themselves(db_conn, table) -> None:
    query = PreparedQuery("test", f"{SELECT_ALL} WHERE 1 / (id - id) = 0", {}, COLUMNS)
    with pytest.raises(psycopg.errors.DivisionByZero):
        next(binary_batches(db_conn, query, 100, pg_types(COLUMNS)))


def test_error_after_rows_were_sent_is_raised_and_leaves_the_connection_usable(
        db_conn, table, monkeypatch) -> None:
    from soxsvo.tap import binary_copy

    monkeypatch.setattr(binary_copy, "BLOCK_BYTES", 4096)
    query = PreparedQuery("test", f"{SELECT_ALL} WHERE 1 / (id::numeric - 20000) <> 7",
                          {}, COLUMNS)
    batches = binary_batches(db_conn, query, 10**6, pg_types(COLUMNS))
    assert len(next(batches)) > 0
    with pytest.raises(psycopg.errors.DivisionByZero):
        list(batches)
    db_conn.rollback()
    assert db_conn.execute("SELECT count(*) FROM pg_class WHERE relname = 't'").fetchone()


def test_closing_early_cancels_the_copy(db_conn, table, monkeypatch) -> None:
    """A client that goes away mid-stream: the generator is closed, the COPY cancelled and the
    connection is usable again after the rollback."""
    from soxsvo.tap import binary_copy

    monkeypatch.setattr(binary_copy, "BLOCK_BYTES", 4096)
    query = PreparedQuery("test", f"{SELECT_ALL} ORDER BY id", {}, COLUMNS)
    batches = binary_batches(db_conn, query, 10**6, pg_types(COLUMNS))
    next(batches)
    batches.close()
    db_conn.rollback()
    assert db_conn.execute("SELECT 1").fetchone() == (1,)


def test_sync_takes_the_binary_path_only_where_it_applies(db_conn, table) -> None:
    """BINARY2 of scalar columns on a UTF-8 connection: binary COPY blocks; another format or
    client encoding: psycopg rows (the bytes of both are compared above)."""
    from soxsvo.formats.pgbinary import PgBinaryRows
    from soxsvo.tap.sync import result_batches

    def first_batch(fmt: str):
        query = PreparedQuery("test", f"{SELECT_ALL} WHERE id IN (1, 5) ORDER BY id", {},
                              COLUMNS)
        batches = result_batches(db_conn, query, 10, resolve_format(fmt))
        try:
            return next(batches)
        finally:
            batches.close()

    assert isinstance(first_batch("votable"), PgBinaryRows)
    assert isinstance(first_batch("csv")[0], tuple)
    db_conn.execute("SET client_encoding = 'LATIN1'")
    latin1 = first_batch("votable")
    assert isinstance(latin1[0], tuple)
    assert "héllo wörld" in [row[6] for row in latin1]


@pytest.mark.parametrize("data", [
    b"\x00\x02" + b"\x00\x00\x00\x08" + bytes(8) + b"\x00\x00\x00\x05ab",  # string cut short
    b"\x00\x02" + b"\x00\x00\x00\x04" + bytes(4) + b"\x00\x00\x00\x00",  # int4 for a long
    b"\x00\x03" + b"\x00\x00\x00\x08" + bytes(8) + b"\x00\x00\x00\x00",  # three fields
    b"\x00\x02" + b"\x00\x00\x00\x08" + bytes(8),  # second field missing
])
def test_data_not_matching_the_columns_is_refused(data) -> None:
    from soxsvo.formats.fields import column_specs
    from soxsvo.formats.pgbinary import PgBinaryRows, transcode

    specs = column_specs([ColumnMeta("id", "long"), ColumnMeta("s", "char", arraysize="*")])
    assert transcode(specs, True, PgBinaryRows(bytearray(
        b"\x00\x02" + b"\x00\x00\x00\x08" + bytes(7) + b"\x01" + b"\x00\x00\x00\x02ab"), 1)
    ) == b"\x00" + bytes(7) + b"\x01" + b"\x00\x00\x00\x02ab"
    with pytest.raises(ValueError, match="does not match the 2 result columns"):
        transcode(specs, True, PgBinaryRows(bytearray(data), 1))


def test_rows_longer_than_a_block(db_conn, monkeypatch) -> None:
    """A row bigger than the block size (and its slack) gets a block of its own size."""
    from soxsvo.tap import binary_copy

    monkeypatch.setattr(binary_copy, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(binary_copy, "BLOCK_SLACK", 512)
    db_conn.execute("CREATE TEMP TABLE big (id bigint, txt text)")
    db_conn.execute("INSERT INTO big SELECT i, repeat(chr(65 + i % 26), (i % 7) * 3000) "
                    "FROM generate_series(1, 300) AS i")
    columns = (ColumnMeta("id", "long"), ColumnMeta("txt", "char", arraysize="*"))
    fast, oracle = _both(db_conn, "votable", "SELECT id, txt FROM big ORDER BY id", 299,
                         columns)
    assert fast == oracle
    assert fast[1:] == (True, 299)
    assert len(fast[0]) > 299 * 9000
    # closed while a row waits for the next block: its buffer is freed, the connection usable
    query = PreparedQuery("test", "SELECT id, txt FROM big ORDER BY id", {}, columns)
    batches = binary_batches(db_conn, query, 299, pg_types(columns))
    next(batches)
    next(batches)
    batches.close()
    db_conn.rollback()
    assert db_conn.execute("SELECT 1").fetchone() == (1,)
