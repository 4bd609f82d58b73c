"""The catalogue HiPS of the archive: its spectra and transients as HiPS 1.0 TSV tiles.

Rows are read through :func:`soxsvo.access.begin_as_reader` for one identity, so a HiPS holds
exactly what that caller may see. Sources are spread over the orders as HiPS catalogue
generators do: at order 1 each tile keeps its ``rows_per_tile`` highest-priority sources (the
newest), the others go down to the tiles of order 2, and so on, until every source is placed or
the deepest order allowed takes all that remain. A client zooming in gets more sources with
each order and never the same source twice.

Building is one vectorised pass over the rows (no per-tile queries), so the HiPS is rebuilt
whole when the archive changes rather than patched: see ``docs/hips.md`` for the figures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import astropy.units as u
import numpy as np
import psycopg
from cdshealpix.nested import lonlat_to_healpix
from mocpy import MOC

from soxsvo.access import Identity, begin_as_reader
from soxsvo.hips.layout import HIPS_VERSION, format_properties, hips_date, tile_path

#: Columns of every tile, in order (HiPS 1.0: every tile has the same columns).
COLUMNS = ("ra", "dec", "type", "name", "mjd", "dp_id", "classification", "redshift", "snr",
           "wl_min_nm", "wl_max_nm", "access_url")

# Current (not superseded) spectra with a position, and every transient, as tile rows.
SPECTRA_SQL = (
    "SELECT s_ra, s_dec, 'spectrum', target_name, t_min, dp_id, NULL, NULL, snr, "
    "em_min * 1e9, em_max * 1e9, access_url FROM ivoa.obscore "
    "WHERE dataproduct_type = 'spectrum' AND NOT superseded "
    "AND s_ra IS NOT NULL AND s_dec IS NOT NULL")
# The classification shown is the consortium's own for members (marshall.workflow, whose rows
# row-level security shows to members and admins only), else the public one: the LEFT JOIN
# finds no workflow row for anyone else, so the public tree can never carry a private value.
TRANSIENTS_SQL = (
    "SELECT t.ra, t.dec, 'transient', t.name, t.discovery_mjd, NULL, "
    "coalesce(w.consortium_type, t.classification), "
    "coalesce(w.consortium_redshift, t.redshift), NULL, NULL, NULL, NULL "
    "FROM marshall.transient t LEFT JOIN marshall.workflow w USING (transient_id)")
# What the HiPS depends on, in one cheap row: a registration, a release, a new version, a
# new transient or a classification the caller may see (new, or newly reported to TNS)
# changes it.
STATE_SQL = (
    "SELECT (SELECT count(*) FROM ivoa.obscore WHERE dataproduct_type = 'spectrum'), "
    "(SELECT max(publication_date) FROM ivoa.obscore WHERE dataproduct_type = 'spectrum'), "
    "(SELECT max(last_mod_date) FROM ivoa.obscore WHERE dataproduct_type = 'spectrum'), "
    "(SELECT count(*) FROM marshall.transient), (SELECT max(transient_id) FROM marshall.transient),"
    " (SELECT count(*) FROM marshall.classification), "
    "(SELECT max(reported_to_tns_at) FROM marshall.classification)")


@dataclass(frozen=True)
class CatalogueOptions:
    """How sources are spread over the orders, and what the properties say."""

    rows_per_tile: int = 100
    max_order: int = 11
    creator_did: str = "ivo://eso.org/soxs/hips/catalogue"
    base_url: str = ""

    @classmethod
    def from_settings(cls, settings) -> CatalogueOptions:
        """Options from the ``[hips]`` and ``[archive]`` settings."""
        hips = settings.hips
        return cls(int(hips.catalogue_rows_per_tile), int(hips.catalogue_max_order),
                   f"ivo://{settings.archive.authority}/hips/catalogue",
                   settings.public_url)


def read_state(conn: psycopg.Connection, identity: Identity, timeout_s: float) -> str:
    """A short text that changes whenever the catalogue HiPS of ``identity`` would change."""
    with conn.transaction():
        begin_as_reader(conn, timeout_s, identity)
        row = conn.execute(STATE_SQL).fetchone()
    return "|".join(str(value) for value in row)


def read_rows(conn: psycopg.Connection, identity: Identity,
              timeout_s: float) -> tuple[str, list[tuple]]:
    """Spectra and transients ``identity`` may see, with the state they were read at.

    Returns
    -------
    state : str
        What :func:`read_state` said in the same snapshot.
    rows : list of tuple
        Sources in :data:`COLUMNS` order.
    """
    with conn.transaction():
        # One snapshot for the state and the rows, so a HiPS is never labelled with a state
        # it does not show.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        begin_as_reader(conn, timeout_s, identity)
        conn.execute("SET LOCAL transaction_read_only = on")
        state = "|".join(str(value) for value in conn.execute(STATE_SQL).fetchone())
        rows = conn.execute(SPECTRA_SQL).fetchall()
        rows += conn.execute(TRANSIENTS_SQL).fetchall()
    return state, rows


def assign_orders(ra: np.ndarray, dec: np.ndarray, priority: np.ndarray, rows_per_tile: int,
                  max_order: int) -> tuple[np.ndarray, np.ndarray]:
    """The order and tile of every source.

    Parameters
    ----------
    ra, dec : numpy.ndarray
        Positions (degrees, ICRS).
    priority : numpy.ndarray
        Higher first: the sources a tile keeps at a low order.
    rows_per_tile : int
        Most sources a tile holds, except at ``max_order`` which takes all that remain.
    max_order : int
        Deepest order.

    Returns
    -------
    order, ipix : numpy.ndarray of int
        Tile order (1..max_order) and NESTED tile index of each source.
    """
    n = len(ra)
    orders = np.zeros(n, dtype=np.int64)
    tiles = np.zeros(n, dtype=np.int64)
    if n == 0:
        return orders, tiles
    deepest = deepest_cells(ra, dec, max_order)
    remaining = _in_priority_order(np.arange(n), priority)
    for order in range(1, max_order + 1):
        pix = deepest[remaining] >> (2 * (max_order - order))
        # A stable sort by tile keeps the priority order inside each tile.
        by_tile = np.argsort(pix, kind="stable")
        pix_sorted = pix[by_tile]
        starts = np.flatnonzero(np.r_[True, pix_sorted[1:] != pix_sorted[:-1]])
        rank = np.arange(len(pix_sorted)) - np.repeat(
            starts, np.diff(np.r_[starts, len(pix_sorted)]))
        keep = rank < rows_per_tile if order < max_order else np.ones(len(rank), bool)
        placed = remaining[by_tile[keep]]
        orders[placed] = order
        tiles[placed] = pix_sorted[keep]
        remaining = _in_priority_order(remaining[by_tile[~keep]], priority)
        if len(remaining) == 0:
            break
    return orders, tiles


def deepest_cells(ra: np.ndarray, dec: np.ndarray, order: int) -> np.ndarray:
    """NESTED HEALPix index of each position at ``order``."""
    return lonlat_to_healpix(np.mod(ra, 360) * u.deg, dec * u.deg, order).astype(np.int64)


def _in_priority_order(indices: np.ndarray, priority: np.ndarray) -> np.ndarray:
    return indices[np.argsort(-priority[indices], kind="stable")]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(round(value, 9))
    # A tab or newline inside a value would break the TSV grid.
    return " ".join(str(value).split())


def tsv_text(rows: Iterable[Sequence], comment: str | None = None) -> bytes:
    """One TSV tile: an optional ``#`` comment line, the header, one line per source."""
    lines = [f"# {comment}"] if comment else []
    lines.append("\t".join(COLUMNS))
    lines.extend("\t".join(_cell(v) for v in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _moc_fits(ra: np.ndarray, dec: np.ndarray, order: int) -> bytes:
    if len(ra):
        moc = MOC.from_lonlat(np.mod(ra, 360) * u.deg, dec * u.deg, max_norder=order)
    else:
        moc = MOC.new_empty(order)
    buffer = io.BytesIO()
    moc.serialize("fits").writeto(buffer)
    return buffer.getvalue()


def catalogue_properties(options: CatalogueOptions, n_rows: int, hips_order: int,
                         ra: np.ndarray, dec: np.ndarray) -> dict[str, object]:
    """The ``properties`` of the catalogue HiPS (HiPS 1.0 §4.4.1)."""
    properties: dict[str, object] = {
        "creator_did": options.creator_did,
        "obs_title": "SOXS archive: spectra and transients",
        "obs_description": "Positions of the SOXS archive's current spectra (type=spectrum, "
                           "with dp_id and access_url) and of the Marshall's transients "
                           "(type=transient). Newest first at low orders.",
        "obs_collection": "SOXS",
        "obs_regime": "Optical",
        "em_min": 3.5e-7,
        "em_max": 2.0e-6,
        "dataproduct_type": "catalog",
        "dataproduct_subtype": "live",
        "hips_version": HIPS_VERSION,
        "hips_builder": "soxsvo",
        "hips_release_date": hips_date(),
        "hips_status": "public master clonableOnce",
        "hips_frame": "equatorial",
        "hips_order": hips_order,
        "hips_order_min": 1,
        "hips_tile_format": "tsv",
        "hips_cat_nrows": n_rows,
        "hips_initial_fov": 180,
    }
    if options.base_url:
        properties["hips_service_url"] = f"{options.base_url}/hips/catalogue"
    if len(ra):
        properties["hips_initial_ra"] = round(float(np.mod(ra[0], 360)), 6)
        properties["hips_initial_dec"] = round(float(dec[0]), 6)
    return properties


def build_catalogue(rows: Sequence[Sequence], options: CatalogueOptions) -> dict[str, bytes]:
    """Every file of the catalogue HiPS, keyed by its path inside the HiPS.

    Parameters
    ----------
    rows : sequence of tuples
        Sources in :data:`COLUMNS` order (as :func:`read_rows` returns them).
    options : CatalogueOptions
        Tile size, deepest order, identifiers.

    Returns
    -------
    dict of str to bytes
        ``properties``, ``Moc.fits``, ``Norder1/Allsky.tsv``, ``Norder2/Allsky.tsv`` and the
        tiles ``NorderK/DirD/NpixN.tsv``.
    """
    ra = np.array([r[0] for r in rows], dtype=float)
    dec = np.array([r[1] for r in rows], dtype=float)
    mjd = np.array([r[4] if r[4] is not None else -np.inf for r in rows], dtype=float)
    orders, tiles = assign_orders(ra, dec, mjd, options.rows_per_tile, options.max_order)
    hips_order = int(orders.max()) if len(rows) else 1
    in_cell = _sources_per_cell(ra, dec, orders, options.max_order)
    files: dict[str, bytes] = {}
    # Newest first inside every tile too (the order Aladin draws them in).
    sequence = np.lexsort((-mjd, tiles, orders))
    keys = np.stack([orders[sequence], tiles[sequence]], axis=1)
    bounds = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1), True])
    by_order: dict[int, list] = {1: [], 2: []}
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        order, ipix = (int(v) for v in keys[start])
        members = [rows[i] for i in sequence[start:end]]
        files[tile_path(order, ipix, "tsv")] = tsv_text(
            members, f"Completeness = {len(members)} / {in_cell[order].get(ipix, 0)}")
        by_order.setdefault(order, []).extend(members)
    for order in (1, 2):
        files[f"Norder{order}/Allsky.tsv"] = tsv_text(by_order[order])
    files["Moc.fits"] = _moc_fits(ra, dec, hips_order)
    files["properties"] = format_properties(
        catalogue_properties(options, len(rows), hips_order, ra[np.argsort(-mjd)],
                             dec[np.argsort(-mjd)])).encode()
    return files


def _sources_per_cell(ra: np.ndarray, dec: np.ndarray, orders: np.ndarray,
                      max_order: int) -> dict[int, dict[int, int]]:
    """For each order, how many sources not shown at a lower order lie in each tile."""
    counts: dict[int, dict[int, int]] = {}
    if len(ra) == 0:
        return counts
    deepest = deepest_cells(ra, dec, max_order)
    for order in range(1, int(orders.max()) + 1):
        still = orders >= order
        cells, n = np.unique(deepest[still] >> (2 * (max_order - order)), return_counts=True)
        counts[order] = dict(zip(cells.tolist(), n.tolist(), strict=True))
    return counts
