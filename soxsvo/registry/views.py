"""The ``/oai`` blueprint: OAI-PMH 2.0, GET or POST (form-encoded), over the registry records."""

from __future__ import annotations

from flask import Blueprint, Response, request

from soxsvo.db.metadata import all_tables
from soxsvo.registry.oai import answer, repository
from soxsvo.registry.records import all_records
from soxsvo.web.context import connection, current_settings
from soxsvo.web.security import exempt_from_csrf

blueprint = exempt_from_csrf(Blueprint("registry", __name__))


@blueprint.route("/oai", methods=["GET", "POST"])
def oai() -> Response:
    """OAI-PMH: errors too are answered with HTTP 200 and an ``<error>`` (OAI-PMH 3.6)."""
    settings = current_settings()
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs.extend(request.form.items(multi=True))
    with connection() as conn:
        tables = all_tables(conn)
    body = answer(repository(settings, all_records(settings, tables)), pairs)
    response = Response(body, mimetype="text/xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
