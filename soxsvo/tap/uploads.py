"""TAP uploads (TAP 1.1 section 3.5): inline VOTable or CSV tables queried as ``TAP_UPLOAD.name``.

Inline uploads (``UPLOAD=name,param:part`` with a multipart part) are always accepted; URL
uploads only from hosts listed in ``[tap] upload_url_hosts``: fetching any URL a user names
would let anyone make this server send requests to arbitrary addresses.
Each uploaded table becomes a temporary table of the query's own transaction (dropped at its
end), created as the read-only role, with a q3c index when it has a position.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlparse
from urllib.request import urlopen

import numpy as np
import psycopg
from astropy.io import ascii as astropy_ascii
from astropy.io import votable
from astropy.table import Table
from psycopg import sql

from soxsvo.adql.translate.scope import UPLOAD_SCHEMA
from soxsvo.dali.params import DALIParams
from soxsvo.db import copy_format
from soxsvo.db.metadata import ColumnMeta, TableMeta
from soxsvo.errors import InputError, TooLargeError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")

_KIND_TO_TYPES = {  # numpy kind -> (VOTable datatype, PostgreSQL type)
    "b": ("boolean", "boolean"), "i": ("long", "bigint"), "u": ("long", "bigint"),
    "f": ("double", "double precision"), "U": ("char", "text"), "S": ("char", "text"),
    "O": ("char", "text"),
}


# Keep the uploaded width, so a query's result columns carry the types the user sent.
_NUMERIC_BY_DTYPE = {"i2": ("short", "smallint"), "i4": ("int", "integer"),
                     "f4": ("float", "real"), "u1": ("short", "smallint"),
                     "i1": ("short", "smallint")}


def temp_table_name(name: str) -> str:
    """Name of the temporary table holding upload ``name``."""
    return f"tap_upload_{name.lower()}"


def upload_table_sql(meta: TableMeta) -> str:
    """SQL naming a table of the query: temporary tables for uploads, schema.table otherwise."""
    if meta.schema == UPLOAD_SCHEMA:
        return f'pg_temp."{temp_table_name(meta.name)}"'
    return f'"{meta.schema}"."{meta.name}"'


def _parse_upload_spec(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        for item in filter(None, (part.strip() for part in value.split(";"))):
            name, _, uri = item.partition(",")
            if not uri:
                raise InputError(f"UPLOAD={item!r}: expected name,param:partname")
            if not _NAME.match(name):
                raise InputError(f"UPLOAD table name {name!r} must be a regular ADQL identifier")
            pairs.append((name, uri))
    return pairs


def _read_table(name: str, payload: bytes, max_rows: int) -> Table:
    text_start = payload.lstrip()[:200].lower()
    try:
        if text_start.startswith(b"<?xml") or b"<votable" in text_start:
            parsed = votable.parse_single_table(io.BytesIO(payload), verify="ignore")
            table = parsed.to_table()
            for field in parsed.fields:  # to_table() drops DALI xtypes; keep them
                if field.xtype and field.name in table.colnames:
                    table[field.name].meta["xtype"] = field.xtype
        else:
            table = astropy_ascii.read(payload.decode("utf-8"), format="csv")
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's input
        raise InputError(f"UPLOAD {name}: not a readable VOTable or CSV table: {exc}") from None
    if len(table) > max_rows:
        raise TooLargeError(f"UPLOAD {name}: {len(table)} rows, more than the limit of {max_rows}")
    return table


def _columns(name: str, table: Table) -> list[tuple[ColumnMeta, str]]:
    columns = []
    for col in table.columns.values():
        if not _NAME.match(col.name):
            raise InputError(f"UPLOAD {name}: column name {col.name!r} is not a regular ADQL "
                             "identifier")
        if col.ndim > 1 or col.dtype.kind not in _KIND_TO_TYPES:
            raise InputError(f"UPLOAD {name}: column {col.name} has an unsupported type "
                             f"({col.dtype}); upload scalar numbers, strings or booleans")
        datatype, pgtype = _NUMERIC_BY_DTYPE.get(col.dtype.str[1:],
                                                 _KIND_TO_TYPES[col.dtype.kind])
        if datatype == "char" and not _is_ascii(col):
            datatype = "unicodeChar"  # VOTable char is ASCII: other text would come back '?'
        # Timestamps keep their xtype; an uploaded STC-S region stays plain text (published
        # adql:REGION columns are stored as DALI arrays, uploaded ones are not).
        xtype = col.meta.get("xtype") if datatype == "char" else None
        xtype = xtype if xtype == "timestamp" else None
        meta = ColumnMeta(name=col.name.lower(), datatype=datatype, xtype=xtype,
                          arraysize="*" if pgtype == "text" else None,
                          unit=str(col.unit) if col.unit else None,
                          ucd=col.meta.get("ucd") if hasattr(col, "meta") else None)
        columns.append((meta, pgtype))
    return columns


def _is_ascii(column) -> bool:
    """Whether every value of a text column is ASCII (bytes are read as UTF-8)."""
    for value in column.tolist():
        if value is None:
            continue
        if isinstance(value, bytes):
            if not value.isascii():
                return False
        elif not str(value).isascii():
            return False
    return True


def _column_values(column) -> list:
    """A column as Python values for COPY, nulls (masked, NaN) as None: one ``tolist`` per
    column instead of a conversion per cell."""
    values = column.tolist()  # masked cells give None
    kind = column.dtype.kind
    if kind == "S":
        return [None if v is None else v.decode("utf-8", "replace") for v in values]
    if kind == "f":
        return [None if v is None or v != v else v for v in values]  # v != v: NaN
    return values


def _load_into_temp_table(conn: psycopg.Connection, name: str, table: Table) -> TableMeta:
    columns = _columns(name, table)
    create_temp_table(conn, name, columns)
    copy_rows(conn, name, table, columns)
    index_and_analyze(conn, name, columns)
    return upload_meta(name, columns)


def upload_meta(name: str, columns: list[tuple[ColumnMeta, str]]) -> TableMeta:
    """The metadata of upload ``name`` as the ADQL translator sees it (``TAP_UPLOAD.name``)."""
    return TableMeta(schema=UPLOAD_SCHEMA, name=name.lower(),
                     description=f"Table uploaded as {name}",
                     columns=tuple(meta for meta, _ in columns))


def create_temp_table(conn: psycopg.Connection, name: str,
                      columns: list[tuple[ColumnMeta, str]]) -> None:
    """Create the (empty) temporary table of upload ``name``, dropped at the transaction's end."""
    conn.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
        sql.Identifier(temp_table_name(name)), sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(meta.name), sql.SQL(pgtype))
            for meta, pgtype in columns)))


def copy_rows(conn: psycopg.Connection, name: str, table: Table,
              columns: list[tuple[ColumnMeta, str]]) -> None:
    """COPY the rows of ``table`` into the temporary table of upload ``name``.

    A table of numbers without nulls (the usual list of positions) goes as one block of
    binary COPY built by numpy; others row by row.
    """
    names = sql.SQL(", ").join(sql.Identifier(meta.name) for meta, _ in columns)
    target = sql.Identifier(temp_table_name(name))
    block = binary_copy_block(table, [pgtype for _, pgtype in columns])
    if block is not None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(target, names)
        with conn.cursor().copy(statement) as copy:
            copy.write(block)
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, names)
    with conn.cursor().copy(statement) as copy:
        for row in zip(*(_column_values(table[c]) for c in table.colnames), strict=True):
            copy.write_row(row)


# Big-endian numpy types of PostgreSQL's binary COPY format, per column type.
_BINARY_DTYPES = {"bigint": ">i8", "integer": ">i4", "smallint": ">i2",
                  "double precision": ">f8", "real": ">f4", "boolean": "u1"}


def binary_copy_block(table: Table, pgtypes: list[str]) -> bytes | None:
    """The whole of ``table`` in PostgreSQL's binary COPY format, or None when a column is
    not a number or boolean, or holds a null (masked, NaN) or a value its type cannot hold.

    Each row is the field count, then per field its length and big-endian value: a numpy
    structured array with one record per row.
    """
    fields, values = [("n", ">i2")], []
    for i, (colname, pgtype) in enumerate(zip(table.colnames, pgtypes, strict=True)):
        column = table[colname]
        dtype = _BINARY_DTYPES.get(pgtype)
        if dtype is None or column.dtype.kind not in "biuf" or getattr(column, "mask", None) \
                is not None and column.mask.any():
            return None
        data = np.asarray(column)
        if data.dtype.kind == "f" and np.isnan(data).any():
            return None  # NaN uploads are nulls
        if data.dtype.kind == "u" and data.size and data.max() > np.iinfo(np.int64).max:
            return None  # too large for bigint: the row path reports it
        fields += [(f"l{i}", ">i4"), (f"v{i}", dtype)]
        values.append((i, data, np.dtype(dtype).itemsize))
    records = np.empty(len(table), dtype=fields)
    records["n"] = len(pgtypes)
    for i, data, size in values:
        records[f"l{i}"] = size
        records[f"v{i}"] = data
    return copy_format.HEADER + records.tobytes() + copy_format.TRAILER


def index_and_analyze(conn: psycopg.Connection, name: str,
                      columns: list[tuple[ColumnMeta, str]]) -> None:
    """Give the temporary table a q3c index when it has ra and dec, and statistics (without
    them the planner guesses the table's size)."""
    ident = sql.Identifier(temp_table_name(name))
    numeric = {meta.name for meta, pgtype in columns
               if pgtype in ("double precision", "real", "bigint", "integer", "smallint")}
    if {"ra", "dec"} <= numeric:
        conn.execute(sql.SQL("CREATE INDEX ON {} (q3c_ang2ipix(ra, dec))").format(ident))
    conn.execute(sql.SQL("ANALYZE {}").format(ident))


def fetch_upload(name: str, uri: str, tap_settings: dict) -> bytes:
    """Download an upload given by URL, only from the configured hosts (``upload_url_hosts``):
    fetching any address a user names would let anyone probe the server's network."""
    parsed = urlparse(uri)
    allowed = tap_settings.upload_url_hosts
    if parsed.scheme not in ("http", "https") or parsed.hostname not in allowed:
        hosts = ", ".join(allowed) or "none are configured"
        raise InputError(f"UPLOAD {name}: this service fetches uploads only from its configured "
                         f"hosts ({hosts}); send the table inline as param:partname instead of "
                         f"{uri!r}")
    try:
        with urlopen(uri, timeout=30) as answer:  # noqa: S310 - scheme and host checked above
            return answer.read(tap_settings.upload_max_bytes + 1)
    except OSError as exc:
        raise InputError(f"UPLOAD {name}: could not fetch {uri}: {exc}") from None


def read_upload_payloads(files: Mapping, params: DALIParams, tap_settings: dict
                         ) -> list[tuple[str, bytes]]:
    """The uploaded tables of a request (``files``: its multipart parts) as (name, bytes), each
    checked for size, row count and
    readability, so that sync and async uploads are refused alike and early."""
    return [(name, payload) for name, payload, _ in _read_uploads(files, params, tap_settings)]


def _read_uploads(files: Mapping, params: DALIParams, tap_settings: dict
                  ) -> list[tuple[str, bytes, Table]]:
    payloads = []
    for name, uri in _parse_upload_spec(params.getall("UPLOAD")):
        if uri.startswith("param:"):
            storage = files.get(uri[len("param:"):])
            if storage is None:
                raise InputError(f"UPLOAD {name}: no multipart part named "
                                 f"{uri[len('param:'):]!r} in the request")
            payload = storage.read(tap_settings.upload_max_bytes + 1)
        else:
            payload = fetch_upload(name, uri, tap_settings)
        if len(payload) > tap_settings.upload_max_bytes:
            raise TooLargeError(f"UPLOAD {name}: larger than the limit of "
                                f"{tap_settings.upload_max_bytes} bytes")
        table = _read_table(name, payload, tap_settings.upload_max_rows)
        payloads.append((name, payload, table))
    return payloads


def load_upload(conn: psycopg.Connection, name: str, payload: bytes, max_rows: int) -> TableMeta:
    """Create the temporary table of one upload in the query's transaction."""
    return _load_into_temp_table(conn, name, _read_table(name, payload, max_rows))


def uploads_from_request(files: Mapping, params: DALIParams, tap_settings: dict
                         ) -> Callable[[psycopg.Connection], tuple[TableMeta, ...]] | None:
    """Read the uploaded tables of a request (``files``: its multipart parts by name, each
    with ``read(n)``); return a loader that creates their temporary
    tables on the query's connection (inside its transaction), or None without uploads."""
    uploads = _read_uploads(files, params, tap_settings)
    if not uploads:
        return None
    # Parsed once, here; the loader only copies them into the query's transaction.
    return lambda conn: tuple(_load_into_temp_table(conn, n, t) for n, _, t in uploads)
