"""A cone search: the table's columns as TAP selects them, inside a q3c cone.

The select list is TAP's (the ADQL translation of ``SELECT <columns> FROM <table>``: column
metadata, types and geometry conversions declared once), translated once per table and
verbosity and kept: parsing a 30-column list costs more than running the cone. The cone itself
is a ``q3c_radial_query`` with the centre and radius as parameters, nearest rows first. Only the
three main columns change: SCS 1.03 clients (pyvo's ``SCSRecord``, TOPCAT) find them by the
UCD1 words ``ID_MAIN``, ``POS_EQ_RA_MAIN`` and ``POS_EQ_DEC_MAIN``, not by UCD1+.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache

import psycopg

from soxsvo.db.metadata import ColumnMeta
from soxsvo.scs.params import Cone
from soxsvo.scs.tables import ConeTable
from soxsvo.tap.query import PreparedQuery, prepare, stream_rows

ID_MAIN, RA_MAIN, DEC_MAIN = "ID_MAIN", "POS_EQ_RA_MAIN", "POS_EQ_DEC_MAIN"


def _quoted(name: str) -> str:
    # Delimited: names such as "dec" or "size" may be ADQL reserved words.
    return '"' + name.replace('"', '""') + '"'


def output_columns(table: ConeTable, verb: int) -> tuple[ColumnMeta, ...]:
    """The columns of an answer at verbosity ``verb``, main ones first."""
    main = (table.id_column, table.ra_column, table.dec_column)
    if verb == 1:
        return main
    rest = [c for c in table.meta.columns if c not in main and (verb == 3 or c.principal)]
    return (*main, *rest)


# Bounded: a re-published table is a new ConeTable (the old translation is then useless).
@lru_cache(maxsize=256)
def _selection(table: ConeTable, verb: int) -> PreparedQuery:
    """TAP's translation of the columns of ``table`` at verbosity ``verb`` (kept)."""
    select = ", ".join(_quoted(c.name) for c in output_columns(table, verb))
    return prepare(f"SELECT {select} FROM {table.name}", tables=(table.meta,))


def scs_columns(table: ConeTable, columns: tuple[ColumnMeta, ...]) -> tuple[ColumnMeta, ...]:
    """``columns`` with the SCS UCDs on the identifier and the position."""
    ucds = {table.id_column.name: ID_MAIN, table.ra_column.name: RA_MAIN,
            table.dec_column.name: DEC_MAIN}
    return tuple(replace(c, ucd=ucds[c.name]) if c.name in ucds else c for c in columns)


def prepare_cone(table: ConeTable, cone: Cone, maxrec: int) -> PreparedQuery:
    """The SQL of ``cone`` over ``table``: at most ``maxrec + 1`` rows (the extra one tells
    overflow apart from an exact fit), nearest first; its ``columns`` carry the SCS UCDs."""
    selection = _selection(table, cone.verb)
    ra, dec = _quoted(table.ra_column.name), _quoted(table.dec_column.name)
    # The translated select is a plain projection: PostgreSQL flattens it, so the cone is an
    # index condition on the table itself (under row-level security too, q3c being LEAKPROOF).
    sql = (f"SELECT * FROM ({selection.sql}) AS cone "
           f"WHERE q3c_radial_query(cone.{ra}, cone.{dec}, %(scs_ra)s, %(scs_dec)s, %(scs_sr)s) "
           f"ORDER BY q3c_dist(cone.{ra}, cone.{dec}, %(scs_ra)s, %(scs_dec)s) "
           "LIMIT %(scs_limit)s")
    params = {**selection.params, "scs_ra": cone.ra, "scs_dec": cone.dec, "scs_sr": cone.sr,
              "scs_limit": maxrec + 1}
    text = f"cone RA={cone.ra!r} DEC={cone.dec!r} SR={cone.sr!r} VERB={cone.verb} of {table.name}"
    return PreparedQuery(text, sql, params, scs_columns(table, selection.columns))


def stream_cone(conn: psycopg.Connection, prepared: PreparedQuery, cone: Cone,
                maxrec: int) -> Iterator[list]:
    """Batches of the rows of ``prepared`` (none for SR=0, which asks for the columns only);
    ``prepared.outcome.overflow`` is set when ``maxrec`` cut the answer. The caller opened
    the reader transaction: row-level security decides which rows exist."""
    return stream_rows(conn, prepared, maxrec if cone.sr > 0 else 0)
