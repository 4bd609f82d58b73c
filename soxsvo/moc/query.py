"""MOC queries: the transients, observations or spectra whose position lies in a space MOC.

Every table with a sky position has an expression index on ``soxs.hpx29(ra, dec)``, the
HEALPix NESTED index at order 29 (``soxsvo/db/sql/008_coverage.sql``). A MOC cell of order k is the
contiguous range ``[ipix << 2(29-k), (ipix+1) << 2(29-k))`` of order-29 indices and mocpy
merges adjacent cells, so a MOC is a short sorted list of ranges; the query joins that list
(two arrays, unnested) with one btree range scan per range. Its cost grows with the number of
ranges and of rows returned, not with the size of the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg
from mocpy import MOC
from psycopg import sql

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader
from soxsvo.db.metadata import ColumnMeta, published_tables
from soxsvo.moc.coverage import visible_products_sql


@dataclass(frozen=True)
class Target:
    """A table MOC queries can search: its position columns, output columns and filter."""

    table: str
    ra: str
    dec: str
    columns: tuple[str, ...]
    #: SQL condition on alias ``o`` limiting rows to what the requester may see
    visible: str = "true"


TARGETS: dict[str, Target] = {
    "transients": Target(
        "marshall.transient", "ra", "dec",
        ("transient_id", "name", "ra", "dec", "discovery_mjd", "discovery_survey",
         "classification", "redshift", "current_mag")),
    # Observation metadata (what was pointed where, when) is public at ESO from the start;
    # the data products are not, hence the filter on spectra only.
    "observations": Target(
        "soxs.observation", "ra", "dec",
        ("obs_id", "ob_id", "target_name", "ra", "dec", "mjd_start", "mjd_end", "exptime",
         "arm", "proposal_id", "transient_id")),
    "spectra": Target(
        "ivoa.obscore", "s_ra", "s_dec",
        ("obs_publisher_did", "obs_collection", "obs_id", "target_name", "s_ra", "s_dec",
         "t_min", "t_max", "em_min", "em_max", "snr", "access_url", "access_format",
         "access_estsize"),
        visible_products_sql("o")),
}


@dataclass
class QueryResult:
    """Rows of a MOC query with their column metadata."""

    columns: list[ColumnMeta]
    rows: list[tuple]
    overflow: bool
    n_ranges: int


def moc_ranges(moc: MOC) -> tuple[list[int], list[int]]:
    """The MOC as half-open ranges ``[lo, hi)`` of order-29 HEALPix NESTED indices.

    Parameters
    ----------
    moc : mocpy.MOC
        A space MOC.

    Returns
    -------
    lo, hi : list of int
        Sorted, non-overlapping range bounds.
    """
    ranges = np.asarray(moc.to_depth29_ranges, dtype=np.uint64).reshape(-1, 2)
    # Order-29 indices are below 12 * 4**29 < 2**63: int64 (PostgreSQL bigint) holds them.
    ranges = ranges.astype(np.int64)
    return ranges[:, 0].tolist(), ranges[:, 1].tolist()


def column_metadata(target: Target) -> list[ColumnMeta]:
    """The published metadata (units, UCDs) of the target's output columns."""
    schema, name = target.table.split(".")
    table = next(t for t in published_tables() if (t.schema, t.name) == (schema, name))
    return [table.column(c) for c in target.columns]


def query_sql(target: Target) -> sql.Composed:
    """The SQL of a MOC query on ``target`` with parameters ``lo``, ``hi`` and ``limit``."""
    hpx = sql.SQL("soxs.hpx29(o.{}, o.{})").format(sql.Identifier(target.ra),
                                                    sql.Identifier(target.dec))
    schema, table = target.table.split(".")
    # The expression must be written exactly as indexed for the planner to use the index.
    return sql.SQL(
        "SELECT {columns} FROM unnest(%(lo)s::bigint[], %(hi)s::bigint[]) AS r(lo, hi) "
        "JOIN {table} o ON {hpx} >= r.lo AND {hpx} < r.hi "
        "WHERE {visible} LIMIT %(limit)s"
    ).format(
        columns=sql.SQL(", ").join(sql.SQL("o.{}").format(sql.Identifier(c))
                                   for c in target.columns),
        table=sql.Identifier(schema, table), hpx=hpx, visible=sql.SQL(target.visible))


def query_moc(conn: psycopg.Connection, moc: MOC, target: str, maxrec: int,
              timeout_s: float = 60.0, identity: Identity = ANONYMOUS) -> QueryResult:
    """Rows of ``target`` whose position lies inside ``moc``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database, not in a transaction.
    moc : mocpy.MOC
        The region.
    target : {"transients", "observations", "spectra"}
        Which table to search.
    maxrec : int
        Most rows returned; ``overflow`` tells whether there were more.
    timeout_s : float
        Statement timeout.
    identity : Identity
        The caller; row-level security shows only the rows it may see.

    Returns
    -------
    QueryResult
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    spec = TARGETS[target]
    lo, hi = moc_ranges(moc)
    with conn.transaction():
        # The same guard rails as TAP: read-only role, read-only transaction, a time limit;
        # all LOCAL, so the pooled connection is clean afterwards.
        begin_as_reader(conn, timeout_s, identity)
        conn.execute("SET LOCAL transaction_read_only = on")
        rows = conn.execute(query_sql(spec), {"lo": lo, "hi": hi,
                                              "limit": maxrec + 1}).fetchall() if lo else []
    overflow = len(rows) > maxrec
    return QueryResult(column_metadata(spec), rows[:maxrec], overflow, len(lo))
