"""The archive search behind ``/archive``: spectra by position or target, band and dates.

Criteria come from a form as text and are checked here (:func:`parse_criteria`), so that the
page can say what is wrong; the query runs in the caller's reader transaction, so row-level
security decides which spectra the caller sees. :func:`adql_for` gives the same search as ADQL,
for the TAP URL the page hands to TOPCAT over SAMP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
from astropy.time import Time
from psycopg.rows import namedtuple_row

from soxsvo.access import Identity, begin_as_reader
from soxsvo.errors import InputError
from soxsvo.utils.sky import PositionError, finite_number, parse_position

#: Named wavelength ranges of the form (nm).
BANDS = {"uvvis": ("UV-VIS arm, 350–850 nm", 350.0, 850.0),
         "nir": ("NIR arm, 800–2000 nm", 800.0, 2000.0),
         "halpha": ("Hα, 656.3 nm", 656.3, 656.3),
         "hbeta": ("Hβ, 486.1 nm", 486.1, 486.1)}
PAGE_SIZE = 25
MAX_RADIUS_DEG = 10.0
#: Radius of a search around a named transient when none is given (arcsec).
DEFAULT_RADIUS_ARCSEC = 10.0


class SearchError(InputError):
    """A criterion is not understood; the message says which and why."""


@dataclass(frozen=True)
class Criteria:
    """A checked search: every field optional, positions in degrees, times in MJD."""

    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    target: str | None = None
    wl_min_nm: float | None = None
    wl_max_nm: float | None = None
    mjd_from: float | None = None
    mjd_to: float | None = None
    page: int = 1


def _number(form, name: str, label: str) -> float | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        return finite_number(text)
    except PositionError as error:
        raise SearchError(f"{label}: {error}") from None


def _mjd(form, name: str, label: str) -> float | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        return float(Time(date.fromisoformat(text).isoformat(), scale="utc").mjd)
    except ValueError:
        raise SearchError(f"{label} must be a date like 2026-01-31, not {text!r}") from None


def parse_criteria(form) -> Criteria:
    """Check the form's fields (``pos``, ``radius`` arcsec, ``target``, ``band``, ``wl_min``,
    ``wl_max`` nm, ``date_from``, ``date_to``, ``page``).

    Raises
    ------
    SearchError
        With a message for the user.
    """
    ra = dec = None
    if (form.get("pos") or "").strip():
        try:
            ra, dec = parse_position(form["pos"].strip()[:200])
        except PositionError as error:
            raise SearchError(str(error)) from None
    radius = _number(form, "radius", "Radius")
    if radius is not None and not 0 < radius <= MAX_RADIUS_DEG * 3600:
        raise SearchError(f"Radius must be between 0 and {MAX_RADIUS_DEG * 3600:.0f} arcsec")
    target = (form.get("target") or "").strip()[:100] or None
    wl_min, wl_max = _number(form, "wl_min", "Shortest wavelength"), \
        _number(form, "wl_max", "Longest wavelength")
    band = (form.get("band") or "").strip()
    if band:
        if band not in BANDS:
            raise SearchError(f"unknown band {band!r}")
        wl_min, wl_max = BANDS[band][1], BANDS[band][2]
    if wl_min is not None and wl_max is not None and wl_min > wl_max:
        raise SearchError("the shortest wavelength is longer than the longest")
    mjd_from, mjd_to = _mjd(form, "date_from", "From"), _mjd(form, "date_to", "To")
    if mjd_to is not None:
        mjd_to += 1.0  # the whole last day
    try:
        page = max(1, min(int(form.get("page") or 1), 10_000))
    except ValueError:
        page = 1
    return Criteria(ra, dec, None if radius is None else radius / 3600.0, target,
                    wl_min, wl_max, mjd_from, mjd_to, page)


@dataclass(frozen=True)
class SearchResult:
    """One page of spectra and whether there is a next one."""

    rows: list
    page: int
    more: bool
    resolved: tuple[float, float] | None = None


_COLUMNS = ("dp_id, obs_publisher_did, target_name, dataproduct_subtype AS arm, s_ra, s_dec, "
            "t_min, em_min * 1e9 AS wl_min_nm, em_max * 1e9 AS wl_max_nm, snr, access_url, "
            "obs_release_date")


def _resolve(conn: psycopg.Connection, name: str) -> tuple[float, float] | None:
    """Position of a transient known to the Marshall by its name or a survey alias."""
    row = conn.execute(
        "SELECT t.ra, t.dec FROM marshall.transient t WHERE lower(t.name) = lower(%(n)s) "
        "UNION ALL SELECT t.ra, t.dec FROM marshall.alias a JOIN marshall.transient t "
        "USING (transient_id) WHERE lower(a.name) = lower(%(n)s) LIMIT 1", {"n": name}
    ).fetchone()
    return (row[0], row[1]) if row else None


def _where(criteria: Criteria, centre) -> tuple[list[str], dict]:
    clauses, params = ["dataproduct_type = 'spectrum'", "NOT superseded"], {}
    if centre is not None:
        clauses.append("q3c_radial_query(s_ra, s_dec, %(ra)s, %(dec)s, %(r)s)")
        params.update(ra=centre[0], dec=centre[1],
                      r=criteria.radius or DEFAULT_RADIUS_ARCSEC / 3600.0)
    elif criteria.target:
        clauses.append("lower(target_name) LIKE %(target)s")
        escaped = criteria.target.lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_")
        params["target"] = f"%{escaped}%"
    if criteria.wl_min_nm is not None:
        clauses.append("em_max >= %(wl_min)s")
        params["wl_min"] = criteria.wl_min_nm * 1e-9
    if criteria.wl_max_nm is not None:
        clauses.append("em_min <= %(wl_max)s")
        params["wl_max"] = criteria.wl_max_nm * 1e-9
    if criteria.mjd_from is not None:
        clauses.append("t_min >= %(mjd_from)s")
        params["mjd_from"] = criteria.mjd_from
    if criteria.mjd_to is not None:
        clauses.append("t_min < %(mjd_to)s")
        params["mjd_to"] = criteria.mjd_to
    return clauses, params


def search_spectra(conn: psycopg.Connection, criteria: Criteria, identity: Identity,
                   timeout_s: float, page_size: int = PAGE_SIZE) -> SearchResult:
    """One page of the spectra ``identity`` may see that match ``criteria``, newest first.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database, not in a transaction.
    criteria : Criteria
        What :func:`parse_criteria` returned.
    identity : Identity
        The caller; row-level security filters the rows.
    timeout_s : float
        Statement timeout.
    page_size : int
        Rows per page.
    """
    with conn.transaction():
        begin_as_reader(conn, timeout_s, identity)
        conn.execute("SET LOCAL transaction_read_only = on")
        centre = (criteria.ra, criteria.dec) if criteria.ra is not None else None
        resolved = None
        if centre is None and criteria.target:
            centre = resolved = _resolve(conn, criteria.target)
        clauses, params = _where(criteria, centre)
        params.update(limit=page_size + 1, offset=(criteria.page - 1) * page_size)
        cursor = conn.cursor(row_factory=namedtuple_row)
        rows = cursor.execute(
            f"SELECT {_COLUMNS} FROM ivoa.obscore WHERE {' AND '.join(clauses)} "
            "ORDER BY t_min DESC, dp_id LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    return SearchResult(rows[:page_size], criteria.page, len(rows) > page_size, resolved)


def _adql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def adql_for(criteria: Criteria, resolved: tuple[float, float] | None = None) -> str:
    """The search as an ADQL query on ``ivoa.obscore`` (every page at once)."""
    where = ["dataproduct_type = 'spectrum'"]
    centre = (criteria.ra, criteria.dec) if criteria.ra is not None else resolved
    if centre is not None:
        radius = criteria.radius or DEFAULT_RADIUS_ARCSEC / 3600.0
        where.append(f"CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', {centre[0]!r}, "
                     f"{centre[1]!r}, {radius!r})) = 1")
    elif criteria.target:
        where.append(f"target_name ILIKE {_adql_text('%' + criteria.target + '%')}")
    if criteria.wl_min_nm is not None:
        where.append(f"em_max >= {criteria.wl_min_nm * 1e-9!r}")
    if criteria.wl_max_nm is not None:
        where.append(f"em_min <= {criteria.wl_max_nm * 1e-9!r}")
    if criteria.mjd_from is not None:
        where.append(f"t_min >= {criteria.mjd_from!r}")
    if criteria.mjd_to is not None:
        where.append(f"t_min < {criteria.mjd_to!r}")
    return f"SELECT * FROM ivoa.obscore WHERE {' AND '.join(where)} ORDER BY t_min DESC"
