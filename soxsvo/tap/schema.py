"""TAP_SCHEMA 1.1 and column comments, derived from the column metadata (``db/metadata.py``).

Publishing is TAP's concern, not the database layer's: a column whose name is an ADQL reserved
word is published delimited, which needs the ADQL lexer. :func:`upgrade_database` is the one
way to bring a database to this version of soxsvo: migrations, then TAP_SCHEMA.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from soxsvo.adql.parse.lexer import RESERVED
from soxsvo.db import migrations
from soxsvo.db.metadata import (
    BUILTIN_SCHEMAS,
    USER_SCHEMA_DESCRIPTION,
    SchemaMeta,
    TableMeta,
    published_tables,
    user_tables,
)


def published_name(name: str) -> str:
    """A column name as TAP_SCHEMA and VOSI publish it: delimited (quoted) when it is an ADQL
    reserved word such as ``size``, so that clients copy a name that parses (TAP 1.1 4.3)."""
    return f'"{name}"' if name.upper() in RESERVED else name


def upgrade_database(conn: psycopg.Connection) -> list[migrations.Migration]:
    """Apply pending migrations, then rewrite comments and TAP_SCHEMA from the metadata.

    Both steps are idempotent; concurrent callers serialise on the migrations' advisory lock,
    so a change to ``soxsvo/db/columns/*.toml`` reaches TAP_SCHEMA with the next upgrade.

    Returns
    -------
    list of Migration
        The migrations applied now (empty when the schema was current).
    """
    applied = migrations.upgrade(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('soxsvo_migration'))")
        sync_published_metadata(conn)
    return applied


def _comment_table(conn: psycopg.Connection, meta: TableMeta) -> None:
    table = sql.Identifier(meta.schema, meta.name)
    kind = sql.SQL("VIEW" if meta.table_type == "view" else "TABLE")
    conn.execute(sql.SQL("COMMENT ON {} {} IS {}").format(kind, table,
                                                           sql.Literal(meta.description)))
    for col in meta.columns:
        conn.execute(
            sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                table, sql.Identifier(col.name), sql.Literal(col.description)
            )
        )


def _size(arraysize: str | None) -> int | None:
    """TAP 1.0's ``size``: the length of a fixed-size array, NULL otherwise (taplint checks
    it agrees with arraysize)."""
    return int(arraysize) if arraysize and arraysize.isdigit() else None


def _insert_table(conn: psycopg.Connection, meta: TableMeta, index: int) -> None:
    conn.execute(
        "INSERT INTO tap_schema.tables VALUES (%s, %s, %s, %s, %s, %s)",
        (meta.schema, meta.qualified_name, meta.table_type, meta.utype, meta.description, index),
    )
    conn.cursor().executemany(
        "INSERT INTO tap_schema.columns VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (meta.qualified_name, published_name(col.name), col.datatype, col.arraysize,
             col.xtype, _size(col.arraysize), col.description, col.utype, col.unit, col.ucd,
             int(col.indexed), int(col.principal), int(col.std), position)
            for position, col in enumerate(meta.columns)
        ],
    )


def _insert_keys(conn: psycopg.Connection, meta: TableMeta) -> None:
    for number, key in enumerate(meta.foreign_keys, start=1):
        key_id = f"{meta.qualified_name}_fk{number}"
        conn.execute(
            "INSERT INTO tap_schema.keys VALUES (%s, %s, %s, %s, NULL)",
            (key_id, meta.qualified_name, key.target_table, key.description),
        )
        for from_col, target_col in zip(key.from_columns, key.target_columns, strict=True):
            conn.execute(
                "INSERT INTO tap_schema.key_columns VALUES (%s, %s, %s)",
                (key_id, from_col, target_col),
            )


def _schemas(user: tuple[TableMeta, ...]) -> list[SchemaMeta]:
    """The built-in schemas, then those only the operator's tables are in."""
    schemas = list(BUILTIN_SCHEMAS)
    known = {schema.name for schema in schemas}
    for meta in user:
        if meta.schema not in known:
            schemas.append(SchemaMeta(meta.schema, USER_SCHEMA_DESCRIPTION))
            known.add(meta.schema)
    return schemas


def sync_published_metadata(conn: psycopg.Connection) -> None:
    """Rewrite column comments and all of TAP_SCHEMA from the metadata (built-in and the
    operator's tables), in the caller's transaction (readers see the old or the new
    TAP_SCHEMA, never a mix)."""
    builtin = published_tables()
    user = user_tables(conn)
    for meta in builtin:
        _comment_table(conn, meta)
    conn.execute(
        "TRUNCATE tap_schema.key_columns, tap_schema.keys, tap_schema.columns, "
        "tap_schema.tables, tap_schema.schemas"
    )
    for index, schema in enumerate(_schemas(user)):
        conn.execute(
            "INSERT INTO tap_schema.schemas VALUES (%s, %s, %s, %s)",
            (schema.name, schema.utype, schema.description, index),
        )
    for index, meta in enumerate((*builtin, *user)):
        _insert_table(conn, meta, index)
    for meta in builtin:
        _insert_keys(conn, meta)
