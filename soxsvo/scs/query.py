"""A cone search as the ADQL query TAP would run, and the SCS columns of its answer.

The cone is written in ADQL and translated by :mod:`soxsvo.tap.query`: the q3c index, the
column metadata and the VOTable types are TAP's, declared once. Only the three main columns
change: SCS 1.03 clients (pyvo's ``SCSRecord``, TOPCAT) find them by the UCD1 words
``ID_MAIN``, ``POS_EQ_RA_MAIN`` and ``POS_EQ_DEC_MAIN``, not by UCD1+.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import psycopg

from soxsvo.db.metadata import ColumnMeta
from soxsvo.scs.params import Cone
from soxsvo.scs.tables import ConeTable
from soxsvo.tap.query import PreparedQuery, prepare, stream_rows

ID_MAIN, RA_MAIN, DEC_MAIN = "ID_MAIN", "POS_EQ_RA_MAIN", "POS_EQ_DEC_MAIN"


def _quoted(column: ColumnMeta) -> str:
    # Delimited: names such as "dec" or "size" may be ADQL reserved words.
    return '"' + column.name.replace('"', '""') + '"'


def output_columns(table: ConeTable, verb: int) -> tuple[ColumnMeta, ...]:
    """The columns of an answer at verbosity ``verb``, main ones first."""
    main = (table.id_column, table.ra_column, table.dec_column)
    if verb == 1:
        return main
    rest = [c for c in table.meta.columns if c not in main and (verb == 3 or c.principal)]
    return (*main, *rest)


def cone_adql(table: ConeTable, cone: Cone, maxrec: int) -> str:
    """The ADQL of ``cone`` over ``table``: ``maxrec + 1`` rows (the extra one tells overflow
    apart from an exact fit), nearest first."""
    ra, dec = _quoted(table.ra_column), _quoted(table.dec_column)
    centre = f"POINT('ICRS', {cone.ra!r}, {cone.dec!r})"
    select = ", ".join(_quoted(c) for c in output_columns(table, cone.verb))
    return (f"SELECT TOP {maxrec + 1} {select} FROM {table.name} "
            f"WHERE 1 = CONTAINS(POINT('ICRS', {ra}, {dec}), "
            f"CIRCLE('ICRS', {cone.ra!r}, {cone.dec!r}, {cone.sr!r})) "
            f"ORDER BY DISTANCE(POINT('ICRS', {ra}, {dec}), {centre})")


def scs_columns(table: ConeTable, columns: tuple[ColumnMeta, ...]) -> tuple[ColumnMeta, ...]:
    """``columns`` with the SCS UCDs on the identifier and the position."""
    ucds = {table.id_column.name: ID_MAIN, table.ra_column.name: RA_MAIN,
            table.dec_column.name: DEC_MAIN}
    return tuple(replace(c, ucd=ucds[c.name]) if c.name in ucds else c for c in columns)


def prepare_cone(table: ConeTable, cone: Cone, maxrec: int) -> PreparedQuery:
    """The translated cone query; its ``columns`` already carry the SCS UCDs."""
    prepared = prepare(cone_adql(table, cone, maxrec))
    prepared.columns = scs_columns(table, prepared.columns)
    return prepared


def stream_cone(conn: psycopg.Connection, prepared: PreparedQuery, cone: Cone,
                maxrec: int) -> Iterator[list]:
    """Batches of the rows of ``prepared`` (none for SR=0, which asks for the columns only);
    ``prepared.outcome.overflow`` is set when ``maxrec`` cut the answer. The caller opened
    the reader transaction: row-level security decides which rows exist."""
    return stream_rows(conn, prepared, maxrec if cone.sr > 0 else 0)
