"""Publishing a table file through TAP (and the cone search when it has a position).

The rows are loaded with COPY, a batch at a time, into a draft table beside the published
one; the draft is indexed (q3c on the position), clustered and analysed, then, in one
transaction, takes the published name, its grants and its TAP_SCHEMA rows. A query sees the
old table or the new one, never half of either.
"""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from soxsvo.db.metadata import BUILTIN_SCHEMAS, column_to_json, user_tables
from soxsvo.errors import InputError, NotFoundError
from soxsvo.tables.source import Source, SourceColumn, open_source, with_metadata

#: Lower-case SQL identifiers only: ADQL regular identifiers, the same in TAP and PostgreSQL.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,49}$")
#: Schemas no operator table may go to: soxsvo's own and PostgreSQL's.
RESERVED_SCHEMAS = frozenset({s.name for s in BUILTIN_SCHEMAS}
                             | {"public", "information_schema", "tap_upload", "uws"})
#: Column names taken for the position, in order of preference, when no UCD says.
RA_NAMES = ("ra", "ra_deg", "raj2000", "ra_icrs", "radeg")
DEC_NAMES = ("dec", "dec_deg", "dej2000", "decj2000", "de_icrs", "dedeg")
#: Column names taken for the identifier (SCS's ID_MAIN), when no UCD says.
ID_NAMES = ("source_id", "id", "objid", "obj_id", "name")
ACCESS = ("public", "consortium")
READER_ROLE = "soxsvo_reader"


@dataclass(frozen=True)
class PublishedTable:
    """What :func:`publish_table` did."""

    name: str
    n_rows: int
    position: tuple[str, str] | None

    @property
    def message(self) -> str:
        where = (f", position ({self.position[0]}, {self.position[1]}) indexed"
                 if self.position else ", no position")
        return f"published {self.name}: {self.n_rows} rows{where}"


def split_name(qualified: str) -> tuple[str, str]:
    """``schema.table`` checked: both lower-case identifiers, the schema not soxsvo's own."""
    parts = qualified.strip().lower().split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise InputError(f"{qualified!r} is not SCHEMA.TABLE with both names identifiers "
                         "(letters, digits and _, not starting with a digit, at most 50)")
    schema, name = parts
    if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
        raise InputError(f"schema {schema!r} is not allowed: it holds soxsvo's or "
                         "PostgreSQL's own tables")
    return schema, name


def read_metadata_file(path: Path) -> tuple[str | None, dict[str, dict]]:
    """The table description and per-column metadata of a TOML file in the form of
    ``soxsvo/db/columns/*.toml`` (``description``, ``[[columns]]`` with ``name``...)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not TOML ({exc})") from None
    columns = {}
    for entry in doc.get("columns", []):
        if "name" not in entry:
            raise InputError(f"{path}: a [[columns]] entry has no name")
        columns[str(entry["name"]).lower()] = {k: v for k, v in entry.items() if k != "name"}
    description = doc.get("description")
    return (description.strip() if description else None), columns


def _find(columns: tuple[SourceColumn, ...], ucd: str, names: tuple[str, ...]) -> str | None:
    """The column whose UCD has ``ucd`` and ``meta.main``, else the only one with ``ucd``,
    else the first called one of ``names``."""
    def words(column: SourceColumn) -> set[str]:
        return {w.strip().lower() for w in (column.meta.ucd or "").split(";")}

    main = [c for c in columns if {ucd, "meta.main"} <= words(c)]
    if main:
        return main[0].meta.name
    plain = [c for c in columns if ucd in words(c)]
    if len(plain) == 1:
        return plain[0].meta.name
    by_name = {c.meta.name: c for c in columns}
    return next((n for n in names if n in by_name), None)


def _mark_main(columns: tuple[SourceColumn, ...]) -> tuple[tuple[SourceColumn, ...],
                                                           tuple[str, str] | None]:
    """Columns with the main position and identifier marked by their UCDs (what the cone
    search looks for, soxsvo/scs/tables.py), and the position columns."""
    ra, dec = _find(columns, "pos.eq.ra", RA_NAMES), _find(columns, "pos.eq.dec", DEC_NAMES)
    numeric = {c.meta.name for c in columns if c.meta.datatype in ("double", "float")}
    position = (ra, dec) if ra in numeric and dec in numeric else None
    ident = _find(columns, "meta.id", ID_NAMES)
    marked = {}
    if position:
        marked[ra] = {"ucd": "pos.eq.ra;meta.main", "indexed": True, "principal": True,
                      "unit": "deg"}
        marked[dec] = {"ucd": "pos.eq.dec;meta.main", "indexed": True, "principal": True,
                       "unit": "deg"}
    if ident is not None:
        marked[ident] = {"ucd": "meta.id;meta.main", "principal": True}
    return tuple(SourceColumn(replace(c.meta, **marked.get(c.meta.name, {})), c.pg_type)
                 for c in columns), position


def _copy_rows(conn: psycopg.Connection, table: sql.Composable, source: Source,
               progress: Callable[[int], None] | None) -> int:
    """COPY every batch of ``source`` into ``table`` as CSV written by Arrow (no Python per
    row); returns the number of rows."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    n_rows = 0
    query = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(table)
    with conn.cursor().copy(query) as copy:
        for batch in source.batches():
            buffer = io.BytesIO()
            pacsv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
            copy.write(buffer.getbuffer())
            n_rows += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
    return n_rows


def _create_draft(conn: psycopg.Connection, draft: sql.Identifier,
                  columns: tuple[SourceColumn, ...]) -> None:
    definitions = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.meta.name), sql.SQL(c.pg_type))
        for c in columns)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(draft))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(draft, definitions))


def _index_and_cluster(conn: psycopg.Connection, schema: str, draft: str,
                       position: tuple[str, str] | None) -> None:
    table = sql.Identifier(schema, draft)
    if position is not None:
        # Rows in q3c order: neighbours on the sky are neighbours on disk.
        index = f"{draft}_q3c"
        conn.execute(sql.SQL("CREATE INDEX {} ON {} (q3c_ang2ipix({}, {}))").format(
            sql.Identifier(index), table, *map(sql.Identifier, position)))
        conn.execute(sql.SQL("CLUSTER {} USING {}").format(table, sql.Identifier(index)))
    conn.execute(sql.SQL("ANALYZE {}").format(table))


def _grant(conn: psycopg.Connection, schema: str, name: str, access: str) -> None:
    table = sql.Identifier(schema, name)
    reader = sql.Identifier(READER_ROLE)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema),
                                                                  reader))
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, reader))
    if access == "consortium":
        # The same rule as the consortium's other private rows (sql/070): one InitPlan.
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(table))
        conn.execute(sql.SQL("CREATE POLICY members ON {} FOR SELECT TO {} "
                             "USING ((SELECT marshall.is_member()))").format(table, reader))


def _comment(conn: psycopg.Connection, schema: str, name: str, description: str,
             columns: tuple[SourceColumn, ...]) -> None:
    table = sql.Identifier(schema, name)
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(description)))
    for column in columns:
        conn.execute(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
            table, sql.Identifier(column.meta.name), sql.Literal(column.meta.description)))


def _swap_in(conn: psycopg.Connection, schema: str, name: str, draft: str,
             position: tuple[str, str] | None) -> None:
    """Replace ``schema.name`` by the draft (caller's transaction)."""
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, name)))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(
        sql.Identifier(schema, draft), sql.Identifier(name)))
    if position is not None:
        conn.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
            sql.Identifier(schema, f"{draft}_q3c"), sql.Identifier(f"{name}_q3c")))


def _register(conn: psycopg.Connection, schema: str, name: str, *, description: str,
              access: str, source: str, n_rows: int,
              columns: tuple[SourceColumn, ...]) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "INSERT INTO public.soxsvo_user_table (schema_name, table_name, description, access, "
        "source, n_rows, columns) VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (schema_name, table_name) DO UPDATE SET description = EXCLUDED.description, "
        "access = EXCLUDED.access, source = EXCLUDED.source, n_rows = EXCLUDED.n_rows, "
        "columns = EXCLUDED.columns, published_at = now()",
        (schema, name, description, access, source, n_rows,
         Jsonb([column_to_json(c.meta) for c in columns])))


def _refuse_foreign_table(conn: psycopg.Connection, schema: str, name: str) -> None:
    """Refuse to replace a table that ``soxsvo table publish`` did not make: re-publishing
    drops the old table, which must never be someone else's data."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                          (sql.Identifier(schema, name).as_string(conn),)).fetchone()[0]
    ours = conn.execute("SELECT 1 FROM public.soxsvo_user_table WHERE schema_name = %s "
                        "AND table_name = %s", (schema, name)).fetchone()
    if exists and ours is None:
        raise InputError(f"{schema}.{name} exists and was not published with soxsvo table "
                         "publish: it is not replaced")


def publish_table(conn: psycopg.Connection, qualified: str, path: Path, *,
                  metadata: Path | None = None, access: str = "public", fmt: str | None = None,
                  progress: Callable[[int], None] | None = None) -> PublishedTable:
    """Load ``path`` into ``schema.table`` and publish it through TAP, replacing an earlier
    publication atomically.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection of the database owner (it creates, grants and rewrites TAP_SCHEMA).
    qualified : str
        ``schema.table``: lower-case identifiers, the schema not one of soxsvo's own.
    path : pathlib.Path
        FITS, VOTable, CSV or Parquet file.
    metadata : pathlib.Path, optional
        TOML in the form of ``soxsvo/db/columns/*.toml``; overrides the file's metadata.
    access : str
        ``public`` or ``consortium`` (consortium members and admins only, row-level security).
    fmt : str, optional
        The file's format when its name does not say.
    progress : callable, optional
        Called with the number of rows of each batch loaded.

    Raises
    ------
    InputError
        Bad name, schema, file, format or metadata.
    """
    schema, name = split_name(qualified)
    if access not in ACCESS:
        raise InputError(f"access must be one of {', '.join(ACCESS)}, not {access!r}")
    description, given = (None, {}) if metadata is None else read_metadata_file(metadata)
    source = open_source(path, fmt)
    for column in source.columns:
        if not _IDENTIFIER.match(column.meta.name):
            raise InputError(f"{path}: column name {column.meta.name!r} is not an identifier")
    columns, position = _mark_main(with_metadata(source.columns, given))
    columns = with_metadata(columns, given)
    _refuse_foreign_table(conn, schema, name)
    draft = f"{name}__draft"
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    _create_draft(conn, sql.Identifier(schema, draft), columns)
    n_rows = _copy_rows(conn, sql.Identifier(schema, draft), source, progress)
    _index_and_cluster(conn, schema, draft, position)
    conn.commit()
    _publish_draft(conn, schema, name, draft, position, columns=columns, access=access,
                   description=description or f"Loaded from {path.name}.",
                   source=path.name, n_rows=n_rows)
    return PublishedTable(f"{schema}.{name}", n_rows, position)


def _publish_draft(conn: psycopg.Connection, schema: str, name: str, draft: str,
                   position: tuple[str, str] | None, *, columns: tuple[SourceColumn, ...],
                   access: str, description: str, source: str, n_rows: int) -> None:
    from soxsvo.tap.schema import sync_published_metadata

    with conn.transaction():
        _swap_in(conn, schema, name, draft, position)
        _grant(conn, schema, name, access)
        _comment(conn, schema, name, description, columns)
        _register(conn, schema, name, description=description, access=access, source=source,
                  n_rows=n_rows, columns=columns)
        sync_published_metadata(conn)


def drop_table(conn: psycopg.Connection, qualified: str) -> None:
    """Remove ``schema.table`` from TAP and the database (a table ``soxsvo table publish``
    made; any other is refused)."""
    from soxsvo.tap.schema import sync_published_metadata

    schema, name = split_name(qualified)
    with conn.transaction():
        gone = conn.execute("DELETE FROM public.soxsvo_user_table WHERE schema_name = %s "
                            "AND table_name = %s", (schema, name)).rowcount
        if not gone:
            raise NotFoundError(f"no published table {schema}.{name}")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, name)))
        sync_published_metadata(conn)


def reindex_table(conn: psycopg.Connection, qualified: str) -> None:
    """Rebuild the indexes of the operator's table ``schema.table``, cluster it again on its
    q3c index (rows added by hand since are put in sky order) and analyse it."""
    schema, name = split_name(qualified)
    describe(conn, qualified)
    table = sql.Identifier(schema, name)
    conn.execute(sql.SQL("REINDEX TABLE {}").format(table))
    # CLUSTER without USING takes the index it was clustered on, if any.
    clustered = conn.execute("SELECT 1 FROM pg_index WHERE indrelid = %s::regclass "
                             "AND indisclustered", (table.as_string(conn),)).fetchone()
    if clustered:
        conn.execute(sql.SQL("CLUSTER {}").format(table))
    conn.execute(sql.SQL("ANALYZE {}").format(table))
    conn.commit()


def listing(conn: psycopg.Connection) -> list[tuple]:
    """(name, rows, access, source, published at) of every table the operator published."""
    return conn.execute(
        "SELECT schema_name || '.' || table_name, n_rows, access, source, published_at "
        "FROM public.soxsvo_user_table ORDER BY 1").fetchall()


def describe(conn: psycopg.Connection, qualified: str):
    """The TableMeta of the operator's table ``schema.table``."""
    schema, name = split_name(qualified)
    for meta in user_tables(conn):
        if (meta.schema, meta.name) == (schema, name):
            return meta
    raise NotFoundError(f"no published table {schema}.{name}")
