"""SQL of an SSA queryData request over ``ivoa.obscore``, and the rows it streams.

The caller opens the transaction with :func:`soxsvo.access.begin_as_reader`: row-level security
decides which spectra a caller sees, this module never filters by rights itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from urllib.parse import urlencode

import psycopg

from soxsvo.db.cursors import named_cursor
from soxsvo.formats import QueryStatus
from soxsvo.ssa.columns import (
    ACCESS_COLUMNS,
    COLUMNS,
    EXTRA_SQL,
    FITS_MIME,
    SDM_VOTABLE_MIME,
)
from soxsvo.ssa.params import Interval, SpectrumQuery

BATCH_ROWS = 2000
#: Model of each offered format: ESO Phase 3 FITS carry Spectrum 1 utypes (TUTYPn).
MODELS = {"fits": "Spectrum-1.0", "votable": "Spectrum-2.0"}
#: BINARY2 bytes per spectral pixel of the SDM VOTable (double + 2 floats + int + flags,
#: base64) and its fixed part, for ssa:Access.Size of VOTable rows.
VOTABLE_BYTES_PER_PIXEL = 28
VOTABLE_HEAD_BYTES = 6000


def _intervals(lo_col: str, hi_col: str, intervals: Sequence[Interval], params: list) -> str:
    """OR of overlaps between [lo_col, hi_col] and each interval (a point column: same twice)."""
    ors = []
    for interval in intervals:
        ands = []
        if interval.lo is not None:
            ands.append(f"{hi_col} >= %s")
            params.append(interval.lo)
        if interval.hi is not None:
            ands.append(f"{lo_col} <= %s")
            params.append(interval.hi)
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")"


def resolve_target_names(conn: psycopg.Connection, names: Sequence[str]) -> tuple[str, ...]:
    """``names`` and, for each, the Marshall name of the transient it names or is an alias of
    (case-insensitive)."""
    lowered = [n.lower() for n in names]
    known = conn.execute(
        "SELECT t.name FROM marshall.transient t WHERE lower(t.name) = ANY(%s) "
        "UNION SELECT t.name FROM marshall.alias a JOIN marshall.transient t USING "
        "(transient_id) WHERE lower(a.name) = ANY(%s)", (lowered, lowered)).fetchall()
    return tuple(dict.fromkeys([*names, *(row[0] for row in known)]))


def build_sql(query: SpectrumQuery) -> tuple[str, list]:
    """The SELECT of ``query`` and its parameters; at most ``maxrec + 1`` rows (the extra one
    tells overflow apart from an exact fit)."""
    select = [c.sql for c in COLUMNS[ACCESS_COLUMNS:]] + list(EXTRA_SQL)
    params: list = [list(query.formats)]
    where = ["o.dataproduct_type = 'spectrum'"]
    if not query.pubdids:
        # Asking for a DID by name finds it even when a newer version replaced it.
        where.append("o.superseded IS NOT TRUE")
    order = []
    if query.ra is not None:
        # q3c_radial_query first in the WHERE list: the planner uses the q3c index for it.
        where.insert(0, "q3c_radial_query(o.s_ra, o.s_dec, %s, %s, %s)")
        params.extend([query.ra, query.dec, query.radius])
        order.append("q3c_dist(o.s_ra, o.s_dec, %s, %s)")
    if query.band:
        where.append(_intervals("o.em_min", "o.em_max", query.band, params))
    if query.time:
        where.append(_intervals("o.t_min", "o.t_max", query.time, params))
    if query.target_names:
        # Exact equality only: lower() is not LEAKPROOF, and under row-level security a
        # condition using it cannot use an index (see soxsvo/db/sql/031). Names are made
        # case-insensitive through the Marshall (transient names and aliases) instead.
        where.append("o.target_name = ANY(%s)")
        params.append(list(query.target_names))
    if query.collections:
        where.append("lower(o.obs_collection) = ANY(%s)")
        params.append([c.lower() for c in query.collections])
    if query.pubdids:
        where.append("o.obs_publisher_did = ANY(%s)")
        params.append(list(query.pubdids))
    for column, intervals in (("o.snr", query.snr), ("o.em_res_power", query.specrp),
                              ("t.redshift", query.redshift)):
        if intervals:
            where.append(_intervals(column, column, intervals, params))
    order_params = [query.ra, query.dec] if query.ra is not None else []
    order += ["o.t_min", "o.obs_publisher_did", "f.n"]
    text = (f"SELECT {', '.join(select)} FROM ivoa.obscore o "
            "LEFT JOIN marshall.transient t ON t.name = o.target_name "
            "CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS f(fmt, n) "
            f"WHERE {' AND '.join(where)} ORDER BY {', '.join(order)} LIMIT %s")
    # The formats array is the first placeholder; WHERE's follow, then ORDER BY's, then LIMIT.
    return text, [params[0], *params[1:], *order_params, query.maxrec + 1]


def access_values(fmt: str, dp_id: str, pubdid: str, length: int | None,
                  estsize_kb: int | None, base_url: str) -> tuple:
    """ssa_acref, ssa_format, ssa_size and ssa_model of one spectrum in one format."""
    if fmt == "fits":
        size = estsize_kb * 1024 if estsize_kb is not None else None
        return f"{base_url}/files/{dp_id}", FITS_MIME, size, MODELS[fmt]
    query = urlencode({"REQUEST": "getData", "FORMAT": "votable", "PUBDID": pubdid})
    size = VOTABLE_HEAD_BYTES + VOTABLE_BYTES_PER_PIXEL * (length or 0)
    return f"{base_url}/ssa?{query}", SDM_VOTABLE_MIME, size, MODELS[fmt]


def _finish(rows: list[tuple], base_url: str) -> list[tuple]:
    extra = len(EXTRA_SQL)
    out = []
    for row in rows:
        dp_id, pubdid, length, estsize, fmt = row[-extra:]
        out.append(access_values(fmt, dp_id, pubdid, length, estsize, base_url) + row[:-extra])
    return out


def stream_spectra(conn: psycopg.Connection, query: SpectrumQuery, base_url: str,
                   status: QueryStatus) -> Iterator[list[tuple]]:
    """Batches of result rows in :data:`~soxsvo.ssa.columns.COLUMNS` order; sets
    ``status.overflow`` when MAXREC cut the result."""
    if query.maxrec == 0:
        return
    if query.target_names:
        query = replace(query, target_names=resolve_target_names(conn, query.target_names))
    text, params = build_sql(query)
    with named_cursor(conn, "ssa_query") as cursor:
        cursor.execute(text, params)
        remaining = query.maxrec
        while remaining > 0:
            batch = cursor.fetchmany(min(BATCH_ROWS, remaining + 1))
            if not batch:
                break
            if len(batch) > remaining:
                status.overflow = True
                batch = batch[:remaining]
            remaining -= len(batch)
            yield _finish(batch, base_url)
        if remaining == 0 and not status.overflow:
            status.overflow = bool(cursor.fetchmany(1))
