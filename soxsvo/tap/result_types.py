"""The result columns' datatypes as PostgreSQL resolves them.

The translator declares a datatype for every output column, but the type of COALESCE, CASE
and NULLIF follows PostgreSQL's resolution of all their branches (``COALESCE(smallint, 0.5)``
is ``numeric``, a CASE whose first branch is NULL takes the type of the others). Rather than
re-implement that resolution (unknown literals, implicit-cast preference, domains, UDF
result types), the query is parsed by PostgreSQL once more, without planning or running it,
and its result description corrects any declared datatype that cannot hold the values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import psycopg
from psycopg import pq

from soxsvo.adql.translate.scope import quote
from soxsvo.db.metadata import ColumnMeta

#: VOTable datatype of each scalar PostgreSQL type a computed column can have.
_DATATYPES = {
    "int2": "short", "int4": "int", "int8": "long", "float4": "float", "float8": "double",
    "numeric": "double", "bool": "boolean", "text": "char", "varchar": "char",
    "bpchar": "char", "name": "char", "char": "char", "unknown": "char",
}
#: Declared datatypes that hold every value of a PostgreSQL type: a declaration among them
#: stays (a published ``long`` column stored as ``integer`` keeps its TAP_SCHEMA datatype).
_HOLDING = {
    "int2": {"short", "int", "long", "float", "double", "unsignedByte"},
    "int4": {"int", "long", "double"},
    "int8": {"long"},
    "float4": {"float", "double"},
    "float8": {"double"},
    "numeric": {"double"},  # numbers leave as doubles, as the translator casts them
    "bool": {"boolean"},
}
_TEXT = {"char", "unicodeChar"}
_TIMESTAMPS = {"timestamp", "timestamptz", "date"}


def result_type_names(conn: psycopg.Connection, sql: str, params: dict) -> list[str]:
    """PostgreSQL's type name of each result column of ``sql``.

    The statement is parsed and analysed (an unnamed prepared statement), not planned nor
    run: this costs a fraction of a millisecond whatever the query. Errors of the statement
    are raised as the psycopg errors running it would raise.
    """
    text = psycopg.ClientCursor(conn).mogrify(sql, params)  # {} too: "%%" becomes "%"
    pgconn = conn.pgconn
    result = pgconn.prepare(b"", text.encode(conn.info.encoding))
    if result.status == pq.ExecStatus.COMMAND_OK:
        result = pgconn.describe_prepared(b"")
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
    types = conn.adapters.types
    return [getattr(types.get(result.ftype(i)), "name", "") for i in range(result.nfields)]


def numbers_as_doubles(sql: str, columns: Sequence[ColumnMeta],
                       type_names: Sequence[str]) -> str:
    """``sql`` with its ``numeric`` result columns cast to double precision, as declared: the
    writers then get floats on every path (the binary COPY path casts them anyway)."""
    if "numeric" not in type_names:
        return sql
    outputs = [f'CAST(r.{quote(c.name)} AS double precision) AS {quote(c.name)}'
               if t == "numeric" else f"r.{quote(c.name)}"
               for c, t in zip(columns, type_names, strict=True)]
    return f"SELECT {', '.join(outputs)} FROM ({sql}) AS r"


def settle_datatypes(columns: Sequence[ColumnMeta],
                     type_names: Sequence[str]) -> tuple[ColumnMeta, ...]:
    """``columns`` with each declared datatype that cannot hold PostgreSQL's result type
    replaced by the one that does (unit, UCD and description kept)."""
    return tuple(_settled(c, t) for c, t in zip(columns, type_names, strict=True))


def _settled(column: ColumnMeta, type_name: str) -> ColumnMeta:
    if type_name in _TIMESTAMPS:
        if column.xtype == "timestamp":
            return column
        return dataclasses.replace(column, datatype="char", arraysize="*", xtype="timestamp")
    datatype = _DATATYPES.get(type_name)
    if datatype is None or column.xtype is not None or column.arraysize not in (None, "*"):
        return column  # arrays, geometries, regions: the translator's declaration is exact
    if column.datatype in (_TEXT if datatype == "char" else _HOLDING[type_name]):
        return column
    return dataclasses.replace(column, datatype=datatype,
                               arraysize="*" if datatype == "char" else None)
