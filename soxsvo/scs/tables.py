"""Which published tables a cone search serves, and their identifier and position columns.

A table serves cone searches when TAP publishes it with a main position: the columns whose
UCDs are ``pos.eq.ra;meta.main`` and ``pos.eq.dec;meta.main`` (or, as in ObsCore whose
standard UCDs lack ``meta.main``, its only ``pos.eq.ra``/``pos.eq.dec`` columns). Read from the
same metadata TAP_SCHEMA is generated from, so a table published for TAP gets a cone search.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from soxsvo.db.metadata import ColumnMeta, TableMeta, published_tables
from soxsvo.errors import NotFoundError

#: ObsCore's publisher DID is its main identifier, though its standard UCD does not say so.
OBSCORE_DID_UTYPE = "obscore:curation.publisherdid"


@dataclass(frozen=True)
class ConeTable:
    """A table that answers cone searches.

    Attributes
    ----------
    meta : TableMeta
        The table as TAP publishes it.
    id_column, ra_column, dec_column : ColumnMeta
        The SCS ``ID_MAIN``, ``POS_EQ_RA_MAIN`` and ``POS_EQ_DEC_MAIN`` columns.
    """

    meta: TableMeta
    id_column: ColumnMeta
    ra_column: ColumnMeta
    dec_column: ColumnMeta

    @property
    def name(self) -> str:
        return self.meta.qualified_name


def _words(column: ColumnMeta) -> set[str]:
    return {w.strip().lower() for w in (column.ucd or "").split(";") if w.strip()}


def _main(columns: tuple[ColumnMeta, ...], ucd: str) -> ColumnMeta | None:
    """The column of ``ucd`` marked ``meta.main``, else the only column of ``ucd``."""
    having = [c for c in columns if ucd in _words(c)]
    main = [c for c in having if "meta.main" in _words(c)]
    if len(main) == 1:
        return main[0]
    return having[0] if len(having) == 1 else None


def _identifier(columns: tuple[ColumnMeta, ...]) -> ColumnMeta | None:
    """``meta.id;meta.main``; else ObsCore's publisher DID; else the first indexed column whose
    UCD is plain ``meta.id`` (dbo.raw's ``dp_id``)."""
    main = _main(columns, "meta.id")
    if main is not None and "meta.main" in _words(main):
        return main
    for column in columns:
        if (column.utype or "").lower() == OBSCORE_DID_UTYPE:
            return column
    plain = [c for c in columns if _words(c) == {"meta.id"} and c.indexed]
    return plain[0] if plain else main


def cone_table_of(meta: TableMeta) -> ConeTable | None:
    """The cone search view of ``meta``, or None when it has no main position or identifier."""
    ra, dec = _main(meta.columns, "pos.eq.ra"), _main(meta.columns, "pos.eq.dec")
    ident = _identifier(meta.columns)
    if ra is None or dec is None or ident is None:
        return None
    if ra.datatype not in ("double", "float") or dec.datatype not in ("double", "float"):
        return None
    return ConeTable(meta, ident, ra, dec)


# Bounded: each re-publication brings a new set of tables; the old ones need not stay.
@lru_cache(maxsize=16)
def cone_tables(tables: tuple[TableMeta, ...] | None = None) -> tuple[ConeTable, ...]:
    """Every table with a position among ``tables`` (:func:`soxsvo.db.metadata.all_tables`,
    the built-in ones when not given), in TAP_SCHEMA order (kept per set of tables)."""
    found = (cone_table_of(meta) for meta in (published_tables() if tables is None else tables))
    return tuple(t for t in found if t is not None)


def cone_table(name: str, tables: tuple[TableMeta, ...] | None = None) -> ConeTable:
    """The cone table ``schema.table`` (case-insensitive) among ``tables`` (see
    :func:`cone_tables`).

    Raises
    ------
    NotFoundError
        When no published table of that name has a position; the message lists those that do.
    """
    wanted = name.strip().lower()
    tables = cone_tables(tables)
    for table in tables:
        if table.name == wanted:
            return table
    raise NotFoundError(f"no cone search for table {name!r}; tables with one: "
                        + ", ".join(t.name for t in tables))
