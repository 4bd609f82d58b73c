"""The archive search page ``/archive`` (server-side form, results with SAMP buttons)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from soxsvo.archive.search import BANDS, SearchError, adql_for, parse_criteria, search_spectra
from soxsvo.web.context import connection, current_identity, current_settings

blueprint = Blueprint("archive", __name__)


@blueprint.get("/archive")
def archive_page():
    """Search form; with any criterion given, one page of matching spectra."""
    settings = current_settings()
    form = request.args
    searched = any((form.get(k) or "").strip() for k in
                   ("pos", "target", "band", "wl_min", "wl_max", "date_from", "date_to"))
    error = result = tap_url = None
    if searched:
        try:
            criteria = parse_criteria(form)
        except SearchError as exc:
            error = str(exc)
        else:
            with connection() as conn:
                result = search_spectra(conn, criteria, current_identity(),
                                        settings.query.sync_timeout)
            tap_url = f"{settings.public_url}/tap/sync?" + urlencode(
                {"REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "votable",
                 "QUERY": adql_for(criteria, result.resolved)})
    pages = {}
    if result is not None:
        base = {k: v for k, v in form.items() if k != "page"}
        if result.page > 1:
            pages["previous"] = "?" + urlencode({**base, "page": result.page - 1})
        if result.more:
            pages["next"] = "?" + urlencode({**base, "page": result.page + 1})
    return render_template("archive.html", form=form, bands=BANDS, error=error,
                           result=result, tap_url=tap_url, pages=pages,
                           base_url=settings.public_url)
