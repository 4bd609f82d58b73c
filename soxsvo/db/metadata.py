"""The single source of column metadata for every published table.

Each published table is described once, in ``soxsvo/db/columns/<schema>.<table>.toml``:
its description and, per column, the VOTable datatype, arraysize, xtype, unit, UCD, utype,
description and the TAP flags (principal, indexed, std). TAP_SCHEMA, the database column
comments, the VOTable/FITS writers and the documentation are all generated from it.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources

import psycopg

#: VOTable datatypes a column may declare (VOTable 1.4, section 2.1).
VOTABLE_DATATYPES = frozenset(
    {
        "boolean", "bit", "unsignedByte", "short", "int", "long", "char", "unicodeChar",
        "float", "double", "floatComplex", "doubleComplex",
    }
)


@dataclass(frozen=True)
class ColumnMeta:
    """Metadata of one column of a table, a query result or a TAP upload.

    Parameters
    ----------
    name : str
        Column name as published (ADQL regular identifiers are lower case here).
    datatype : str
        VOTable datatype (``double``, ``long``, ``char``, ...).
    arraysize : str or None
        VOTable arraysize (``"*"``, ``"2"``, ``"19"``...), None for scalars.
    xtype : str or None
        DALI xtype (``timestamp``, ``point``, ``circle``, ``polygon``, ``moc``...).
    unit, ucd, utype, description : str or None
        VOUnit string, UCD1+, data-model utype and a human description.
    principal, indexed, std : bool
        TAP_SCHEMA flags: shown by default, backed by an index, defined by a standard.
    """

    name: str
    datatype: str
    arraysize: str | None = None
    xtype: str | None = None
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    description: str | None = None
    principal: bool = False
    indexed: bool = False
    std: bool = False

    def __post_init__(self) -> None:
        if self.datatype not in VOTABLE_DATATYPES:
            raise ValueError(f"column {self.name}: unknown VOTable datatype {self.datatype!r}")


@dataclass(frozen=True)
class ForeignKey:
    """A TAP_SCHEMA foreign key from this table's columns to a target table."""

    target_table: str
    from_columns: tuple[str, ...]
    target_columns: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True)
class TableMeta:
    """Metadata of one published table (``schema.table``)."""

    schema: str
    name: str
    description: str
    columns: tuple[ColumnMeta, ...]
    utype: str | None = None
    table_type: str = "table"
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def qualified_name(self) -> str:
        """The name TAP users write: ``schema.table``."""
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> ColumnMeta:
        """Return the column called ``name`` (case-insensitive), or raise KeyError."""
        wanted = name.lower()
        for col in self.columns:
            if col.name.lower() == wanted:
                return col
        raise KeyError(f"{self.qualified_name} has no column {name!r}")


@dataclass(frozen=True)
class SchemaMeta:
    """Metadata of one published schema."""

    name: str
    description: str
    utype: str | None = None


def _column_from_toml(entry: dict) -> ColumnMeta:
    return ColumnMeta(**entry)


def _table_from_toml(doc: dict) -> TableMeta:
    schema, name = doc["table"].split(".", 1)
    keys = tuple(
        ForeignKey(
            target_table=fk["target_table"],
            from_columns=tuple(fk["from_columns"]),
            target_columns=tuple(fk["target_columns"]),
            description=fk.get("description"),
        )
        for fk in doc.get("foreign_keys", [])
    )
    return TableMeta(
        schema=schema,
        name=name,
        description=doc["description"].strip(),
        utype=doc.get("utype"),
        table_type=doc.get("table_type", "table"),
        columns=tuple(_column_from_toml(c) for c in doc["columns"]),
        foreign_keys=keys,
    )


@cache
def published_tables() -> tuple[TableMeta, ...]:
    """All tables published through TAP, in the order TAP_SCHEMA lists them."""
    folder = resources.files("soxsvo.db") / "columns"
    tables = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            tables.append(_table_from_toml(tomllib.loads(entry.read_text(encoding="utf-8"))))
    return tuple(sorted(tables, key=lambda t: (t.schema, t.name)))


#: Descriptions of the schemas of the built-in tables. Which schemas TAP publishes is what
#: TAP_SCHEMA says (these and those of the operator's tables, :func:`user_tables`).
BUILTIN_SCHEMAS: tuple[SchemaMeta, ...] = (
    SchemaMeta("ivoa", "IVOA-defined tables: the ObsCore 1.1 view of every SOXS product."),
    SchemaMeta("soxs", "SOXS archive: products, observations, raw frames and provenance."),
    SchemaMeta("marshall", "SOXS Marshall: transients, their aliases and photometry."),
    SchemaMeta("tap_schema", "TAP 1.1 metadata of this service."),
    SchemaMeta("phase3v2", "ESO-compatible views of the files of each product and their "
               "provenance (raw frames used), so that ESO's provenance queries run unchanged."),
    SchemaMeta("dbo", "ESO-compatible view of the raw frames (ESO's dbo.raw)."),
)


def table(qualified_name: str) -> TableMeta:
    """Return the published table ``schema.table`` (case-insensitive), or raise KeyError."""
    wanted = qualified_name.lower()
    for meta in published_tables():
        if meta.qualified_name == wanted:
            return meta
    raise KeyError(f"no published table {qualified_name!r}")


#: Description of a schema that holds only tables the operator published.
USER_SCHEMA_DESCRIPTION = "Tables published by the archive's operator."


def column_to_json(column: ColumnMeta) -> dict:
    """The fields of ``column`` that differ from the defaults (stored as JSON)."""
    defaults = ColumnMeta(column.name, column.datatype)
    return {key: value for key, value in asdict(column).items()
            if key in ("name", "datatype") or value != getattr(defaults, key)}


def user_tables(conn: psycopg.Connection) -> tuple[TableMeta, ...]:
    """The tables published with ``soxsvo table publish``, by schema and name."""
    rows = conn.execute(
        "SELECT schema_name, table_name, description, columns FROM public.soxsvo_user_table "
        "ORDER BY schema_name, table_name").fetchall()
    return tuple(TableMeta(schema=schema, name=name, description=description,
                           columns=tuple(ColumnMeta(**entry) for entry in columns))
                 for schema, name, description, columns in rows)


def all_tables(conn: psycopg.Connection) -> tuple[TableMeta, ...]:
    """Every table TAP publishes: the built-in ones, then the operator's."""
    return (*published_tables(), *user_tables(conn))


def published_schemas(conn: psycopg.Connection) -> tuple[SchemaMeta, ...]:
    """The schemas TAP_SCHEMA lists, in its order."""
    rows = conn.execute("SELECT schema_name, description, utype FROM tap_schema.schemas "
                        "ORDER BY schema_index, schema_name").fetchall()
    return tuple(SchemaMeta(name, description or "", utype) for name, description, utype in rows)


def find_table(tables: tuple[TableMeta, ...], qualified_name: str) -> TableMeta:
    """The table ``schema.table`` (case-insensitive) among ``tables``, or raise KeyError."""
    wanted = qualified_name.lower()
    for meta in tables:
        if meta.qualified_name.lower() == wanted:
            return meta
    raise KeyError(f"no published table {qualified_name!r}")
