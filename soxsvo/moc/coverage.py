"""Coverage MOCs of the archive's spectra (space, time, space-time), kept current incrementally.

A coverage MOC is cached as a MOC 2.0 FITS file in ``<data_dir>/moc/`` whose header also holds
the state it was built from: how many visible products it covers (``SXCOUNT``) and the database
time of that snapshot (``SXWATERM``), and the orders. Serving a MOC costs one ``count(*)`` and
one query for the products that became visible after the watermark (registered or released
since, both indexed); their cells are unioned into the cached MOC. When the count of visible
products is not the cached count plus the new ones (a product was withdrawn, an embargo was
extended, or a registration committed late), the MOC is rebuilt from scratch, so the cache can
only be wrong if a removal and a late addition cancel exactly between two requests.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import astropy.units as u
import numpy as np
import psycopg
from astropy.io import fits
from astropy.time import Time
from erfa import ErfaWarning
from mocpy import MOC, STMOC, TimeMOC

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader
from soxsvo.utils.atomic import replacing

Kind = Literal["space", "time", "spacetime"]
KINDS: tuple[str, ...] = ("space", "time", "spacetime")
AnyMOC = MOC | TimeMOC | STMOC
_CLASSES: dict[str, type] = {"space": MOC, "time": TimeMOC, "spacetime": STMOC}


def visible_products_sql(alias: str = "o") -> str:
    """The SQL condition selecting the ``ivoa.obscore`` rows the requester may see.

    ``soxs.can_see``, the rule of the row-level security policies, for the caller named in the
    transaction (:func:`soxsvo.access.begin_as_reader`); on a connection that named nobody
    (the archive's own role), public products only.

    Parameters
    ----------
    alias : str
        Alias of ``ivoa.obscore`` in the query.

    Returns
    -------
    str
        A boolean SQL expression without parameters.
    """
    return (f"soxs.can_see({alias}.obs_release_date, {alias}.data_rights, "
            f"{alias}.proposal_id)")


@dataclass(frozen=True)
class Orders:
    """HEALPix order of space MOCs and order of time MOCs (MOC 2.0 depths)."""

    space: int = 10
    time: int = 35

    @classmethod
    def from_settings(cls, moc_settings: dict) -> Orders:
        """Orders from the ``[moc]`` section of the settings."""
        space, time = int(moc_settings.space_order), int(moc_settings.time_order)
        if not 0 <= space <= 29 or not 0 <= time <= 61:
            raise ValueError("[moc] space_order must be 0..29 and time_order 0..61")
        return cls(space, time)


@dataclass(frozen=True)
class CoverageResult:
    """A coverage MOC, its cache file and how it was brought up to date."""

    moc: AnyMOC
    #: None for a caller-specific MOC, which is never cached
    path: Path | None
    count: int
    #: "cached" (nothing new), "updated" (new cells unioned in), "rebuilt", or "private" (built
    #: for a caller with rights beyond the public products)
    action: str


def _from_where(collection: str | None, since: datetime | None) -> str:
    """FROM and WHERE of the visible products (of one collection, new since a time)."""
    where = visible_products_sql("o")
    if collection is not None:
        where += " AND o.obs_collection = %(collection)s"
    if since is None:
        return f"FROM ivoa.obscore o WHERE {where}"
    # Visible now and not at the watermark: registered since, or released since. Two
    # branches so that each uses its index (an OR across two tables would scan both).
    new = ("SELECT o.obs_publisher_did FROM ivoa.obscore o JOIN soxs.product p "
           "ON p.publisher_did = o.obs_publisher_did WHERE p.registered_at > %(since)s "
           "UNION SELECT o.obs_publisher_did FROM ivoa.obscore o "
           "WHERE o.obs_release_date > %(since)s")
    return (f"FROM ivoa.obscore o WHERE {where} "
            f"AND o.obs_publisher_did IN ({new})")


def _rows(conn: psycopg.Connection, kind: str, collection: str | None,
          since: datetime | None) -> tuple[np.ndarray, ...]:
    """Positions and/or time ranges of visible products (those new after ``since`` only)."""
    columns = {"space": "o.s_ra, o.s_dec", "time": "o.t_min, o.t_max",
               "spacetime": "o.s_ra, o.s_dec, o.t_min, o.t_max"}[kind]
    needed = [c + " IS NOT NULL" for c in columns.split(", ")]
    sql = f"SELECT {columns} {_from_where(collection, since)} AND {' AND '.join(needed)}"
    rows = conn.execute(sql, {"collection": collection, "since": since}).fetchall()
    width = len(needed)
    array = np.array(rows, dtype=float).reshape(len(rows), width)
    return tuple(array[:, i] for i in range(width))


def _count(conn: psycopg.Connection, collection: str | None, since: datetime | None) -> int:
    # All visible rows, including those without a position or time that add no cells, so
    # that "cached count + new count = count now" holds.
    sql = f"SELECT count(*) {_from_where(collection, since)}"
    return int(conn.execute(sql, {"collection": collection, "since": since}).fetchone()[0])


def _times(mjd: np.ndarray) -> Time:
    # ObsCore t_min/t_max are MJD in UTC (SOXS headers); mocpy converts to MOC 2.0's TCB.
    # ERFA calls years beyond its leap-second table "dubious": a leap second or two is far
    # below the time MOC's resolution, so the warning is noise here.
    time = Time(mjd, format="mjd", scale="utc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        return time.tcb


def build_moc(kind: str, columns: tuple[np.ndarray, ...], orders: Orders) -> AnyMOC:
    """A MOC of the given kind from the arrays :func:`_rows` returns.

    Parameters
    ----------
    kind : {"space", "time", "spacetime"}
        Which MOC.
    columns : tuple of numpy.ndarray
        ``(ra, dec)``, ``(t_min, t_max)`` or ``(ra, dec, t_min, t_max)`` in degrees and MJD.
    orders : Orders
        Space and time orders.

    Returns
    -------
    MOC, TimeMOC or STMOC
    """
    if len(columns[0]) == 0:
        if kind == "space":
            return MOC.new_empty(orders.space)
        if kind == "time":
            return TimeMOC.new_empty(orders.time)
        return STMOC.new_empty(orders.time, orders.space)
    if kind == "space":
        ra, dec = columns
        # Spectra are point-like (a slit of a few arcsec) next to cells of arcminutes: the
        # cell holding the position is the coverage.
        return MOC.from_lonlat(np.mod(ra, 360) * u.deg, dec * u.deg, max_norder=orders.space)
    if kind == "time":
        t_min, t_max = columns
        return TimeMOC.from_time_ranges(_times(t_min), _times(np.maximum(t_min, t_max)),
                                        order=orders.time)
    ra, dec, t_min, t_max = columns
    return STMOC.from_time_ranges_positions(
        _times(t_min), _times(np.maximum(t_min, t_max)), np.mod(ra, 360) * u.deg,
        dec * u.deg, time_depth=orders.time, spatial_depth=orders.space)


def cache_path(cache_dir: Path, kind: str, collection: str | None, orders: Orders) -> Path:
    """Where the cached MOC of ``kind`` (all products or one collection) lives."""
    key = "all" if collection is None else \
        "c-" + hashlib.sha256(collection.encode()).hexdigest()[:16]
    return cache_dir / f"{kind}-{key}-s{orders.space}-t{orders.time}.fits"


def _read_cache(path: Path, kind: str) -> tuple[AnyMOC, int, datetime] | None:
    try:
        header = fits.getheader(path, 1)
        moc = _CLASSES[kind].load(str(path), "fits")
        return moc, int(header["SXCOUNT"]), datetime.fromisoformat(header["SXWATERM"])
    except (OSError, KeyError, ValueError):
        # A missing, partial or foreign file is rebuilt, never trusted.
        return None


def _write_cache(path: Path, moc: AnyMOC, count: int, watermark: datetime) -> None:
    with replacing(path) as temp:   # concurrent web workers never see a half-written file
        moc.save(str(temp), format="fits", overwrite=True,
                 fits_keywords={"SXCOUNT": count, "SXWATERM": watermark.isoformat()})


def coverage(conn: psycopg.Connection, kind: str, cache_dir: Path, orders: Orders,
             collection: str | None = None, identity: Identity = ANONYMOUS,
             timeout_s: float = 60.0) -> CoverageResult:
    """The current coverage MOC of the spectra ``identity`` may see, from the cache when
    possible.

    The cached MOCs are the public ones (anonymous callers); a caller with more rights gets a
    MOC built for it alone, never cached. On an idle connection the rows are read as the
    reader role for ``identity`` (row-level security applies).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database (used in its own transaction).
    kind : {"space", "time", "spacetime"}
        Which MOC.
    cache_dir : Path
        Folder of the cached MOC files (``<data_dir>/moc``).
    orders : Orders
        Space and time orders.
    collection : str, optional
        Restrict to one ``obs_collection``; all collections by default.
    identity : Identity
        The caller.
    timeout_s : float
        Statement timeout of the reads.

    Returns
    -------
    CoverageResult
    """
    if kind not in KINDS:
        raise ValueError(f"unknown MOC kind {kind!r}; one of {', '.join(KINDS)}")
    path = cache_path(cache_dir, kind, collection, orders)
    fresh = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if fresh:
            # One snapshot for the counts and the new rows: they must describe one moment.
            # (Inside a caller's transaction the count check still catches any skew.)
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            begin_as_reader(conn, timeout_s, identity)
        count = _count(conn, collection, None)
        if not identity.is_anonymous:
            moc = build_moc(kind, _rows(conn, kind, collection, None), orders)
            return CoverageResult(moc, None, count, "private")
        now = conn.execute("SELECT now()").fetchone()[0]
        cached = _read_cache(path, kind)
        if cached is not None and cached[2] <= now:
            moc, cached_count, watermark = cached
            n_new = _count(conn, collection, watermark)
            if n_new == 0 and cached_count == count:
                return CoverageResult(moc, path, count, "cached")
            if cached_count + n_new == count:
                new = _rows(conn, kind, collection, watermark)
                if len(new[0]):
                    moc = moc.union(build_moc(kind, new, orders))
                _write_cache(path, moc, count, now)
                return CoverageResult(moc, path, count, "updated")
        moc = build_moc(kind, _rows(conn, kind, collection, None), orders)
        _write_cache(path, moc, count, now)
        return CoverageResult(moc, path, count, "rebuilt")


def collections(conn: psycopg.Connection) -> list[str]:
    """Names of the collections that have visible products."""
    rows = conn.execute(f"SELECT DISTINCT obs_collection FROM ivoa.obscore o "
                        f"WHERE {visible_products_sql('o')} ORDER BY 1").fetchall()
    return [r[0] for r in rows]
