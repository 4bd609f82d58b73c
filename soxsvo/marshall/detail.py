"""Everything the object page and ``GET /api/transients/{id}`` show about one transient.

Read inside the caller's reader transaction (:func:`soxsvo.access.begin_as_reader`), so the
spectra listed are those row-level security lets the caller see, and the consortium's private
classification (``marshall.workflow``) shows only to members.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from soxsvo.marshall.magnitude import ujy_to_mag
from soxsvo.marshall.stamps import transient_stamps
from soxsvo.marshall.workflow import WorkflowError

#: The classification and redshift a caller is shown (``t`` transient, ``w`` workflow): the
#: consortium's own (private) when row-level security lets the caller see the workflow row,
#: else the public one.
CLASSIFICATION_SQL = "coalesce(w.consortium_type, t.classification)"
REDSHIFT_SQL = "coalesce(w.consortium_redshift, t.redshift)"
#: The newest scored alert's values (sql/141) that rows and the page show.
SCORE_COLUMNS = ("t.score_mjd, t.rb, t.drb, t.sgscore1, t.distpsnr1, t.reliability, "
                 "t.positive, t.flags")

#: Survey → URL of an alias's page there (links only: nothing is fetched while a page loads).
SURVEY_LINKS = {
    "TNS": "https://www.wis-tns.org/object/{bare}",
    "ZTF": "https://lasair-ztf.lsst.ac.uk/objects/{name}/",
    "Gaia": "http://gsaweb.ast.cam.ac.uk/alerts/alert/{name}/",
    "LSST": "https://lasair.lsst.ac.uk/objects/{name}/",
}


def alias_url(name: str, survey: str) -> str | None:
    """The page of an alias at its survey, if the survey has per-object pages."""
    template = SURVEY_LINKS.get(survey)
    if template is None:
        return None
    bare = name.split(" ", 1)[-1] if survey == "TNS" else name
    return template.format(name=name, bare=bare)


def _rows(conn: psycopg.Connection, sql: str, params) -> list[dict[str, Any]]:
    return conn.cursor(row_factory=dict_row).execute(sql, params).fetchall()


#: A negative difference flux is drawn as a magnitude (of its absolute value) only when it is
#: at least this many times its error: below that it is noise around zero (forced photometry).
NEGATIVE_MIN_SNR = 3.0


def photometry(conn: psycopg.Connection, transient_id: int) -> list[dict[str, Any]]:
    """The light curve: every measurement, in time order, with AB magnitudes derived from
    the flux density (the limit's magnitude for upper limits).

    A significant negative difference flux (ZTF ``isdiffpos = 'f'``: fainter than in the
    reference) is a detection too: it gets the magnitude of its absolute value and
    ``negative`` set, so that pages plot it as such instead of dropping it."""
    points = _rows(conn, "SELECT survey, band, mjd, flux_ujy, flux_err_ujy, upper_limit, "
                   "orig_value, orig_error, orig_unit FROM marshall.photometry "
                   "WHERE transient_id = %s ORDER BY mjd", (transient_id,))
    for p in points:
        flux, err = p["flux_ujy"], p["flux_err_ujy"]
        p["negative"] = bool(not p["upper_limit"] and flux is not None and flux < 0)
        if p["negative"] and (err is None or -flux >= NEGATIVE_MIN_SNR * err):
            p["mag"] = ujy_to_mag(-flux)
        else:
            p["mag"] = ujy_to_mag(flux)
        p["mag_err"] = (1.0857 * err / abs(flux) if err and flux and p["mag"] is not None
                        else None)
    return points


def spectra(conn: psycopg.Connection, transient_id: int, name: str) -> list[dict[str, Any]]:
    """SOXS spectra of the transient visible to the caller: products of its observations,
    or whose target name is the transient's name."""
    return _rows(
        conn,
        "SELECT o.dp_id, o.obs_publisher_did, o.obs_id, o.target_name, o.t_min, o.t_exptime, "
        "o.em_min, o.em_max, o.snr, o.dataproduct_subtype, o.obs_release_date, o.proposal_id "
        "FROM ivoa.obscore o WHERE o.dataproduct_type = 'spectrum' AND NOT o.superseded AND "
        "(o.obs_id IN (SELECT obs_id FROM soxs.observation WHERE transient_id = %s) "
        " OR lower(o.target_name) = lower(%s)) ORDER BY o.t_min, o.dp_id",
        (transient_id, name))


def best_match(conn: psycopg.Connection, transient_id: int) -> dict[str, Any] | None:
    """The counterpart chosen by the context cross-match (a host galaxy, or the star, AGN or
    variable the transient is taken to be), if any (see soxsvo.marshall.context)."""
    rows = _rows(conn, "SELECT catalog, kind, source_id, redshift, separation_arcsec, "
                 "distance_mpc, projected_kpc FROM marshall.crossmatch "
                 "WHERE transient_id = %s AND best", (transient_id,))
    return rows[0] if rows else None


def transient_detail(conn: psycopg.Connection, transient_id: int) -> dict[str, Any]:
    """The transient with its workflow state, best cross-match, aliases, photometry, spectra,
    classifications, comments and history.

    Raises
    ------
    WorkflowError
        404 when there is no such transient.
    """
    found = _rows(
        conn,
        "SELECT t.transient_id, t.name, t.ra, t.dec, t.discovery_mjd, t.discovery_survey, "
        f"{CLASSIFICATION_SQL} AS classification, {REDSHIFT_SQL} AS redshift, "
        "t.classification AS public_classification, t.redshift AS public_redshift, "
        "t.current_mag, t.current_mag_mjd, t.current_mag_band, t.last_limit_mag, "
        "t.last_limit_mjd, t.last_limit_band, w.list, w.priority, "
        f"w.snoozed_until, w.list_since, {SCORE_COLUMNS} "
        "FROM marshall.transient t LEFT JOIN marshall.workflow w USING (transient_id) "
        "WHERE t.transient_id = %s", (transient_id,))
    if not found:
        raise WorkflowError(f"no transient with id {transient_id}", 404)
    detail = found[0]
    detail["host"] = best_match(conn, transient_id)
    detail["aliases"] = [
        {**a, "url": alias_url(a["name"], a["survey"])}
        for a in _rows(conn, "SELECT name, survey FROM marshall.alias WHERE transient_id = %s "
                       "ORDER BY survey, name", (transient_id,))]
    detail["photometry"] = photometry(conn, transient_id)
    detail["stamps"] = transient_stamps(conn, transient_id)
    detail["spectra"] = spectra(conn, transient_id, detail["name"])
    detail["classifications"] = _rows(
        conn, "SELECT classification_id, type, redshift, phase_days, spectrum_dp_id, "
        "classified_by, classified_at, reported_to_tns_at FROM marshall.classification "
        "WHERE transient_id = %s "
        "ORDER BY classified_at DESC, classification_id DESC", (transient_id,))
    detail["comments"] = _rows(
        conn, "SELECT comment_id, author, body, mentions, created_at FROM marshall.comment "
        "WHERE transient_id = %s ORDER BY created_at, comment_id", (transient_id,))
    detail["history"] = history(conn, transient_id)
    return detail


def history(conn: psycopg.Connection, transient_id: int) -> list[dict[str, Any]]:
    """Who did what, when, newest first."""
    return _rows(conn, "SELECT actor, action, detail, at FROM marshall.history "
                 "WHERE transient_id = %s ORDER BY at DESC, history_id DESC", (transient_id,))


def exists(conn: psycopg.Connection, transient_id: int) -> bool:
    """Whether the transient exists."""
    return conn.execute("SELECT 1 FROM marshall.transient WHERE transient_id = %s",
                        (transient_id,)).fetchone() is not None
