"""The Flask side of every DAL service: its blueprint, its parameters, its error documents.

The only module of :mod:`soxsvo.dali` that imports Flask. A :class:`soxsvo.errors.SoxsvoError`
raised anywhere below a DAL view becomes a DALI error VOTable (``QUERY_STATUS=ERROR``) with
the status of :func:`soxsvo.errors.http_status`, here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Request, Response

from soxsvo.dali.params import DALIParams
from soxsvo.dali.streaming import ResultStream
from soxsvo.errors import LimitError, SoxsvoError, http_status
from soxsvo.formats import error_document
from soxsvo.web.security import exempt_from_csrf

VOTABLE_MIME = "application/x-votable+xml"

#: Names of the DAL blueprints: requests to them get their errors (e.g. a rejected API token
#: before any view runs) as DALI error documents.
DAL_BLUEPRINTS: set[str] = set()
#: Their URL prefixes: a URL under one that matches no route (``/tap/async//results``) is a
#: DAL caller's mistake too, answered with a DALI document although no blueprint handles it.
DAL_PREFIXES: set[str] = set()


def request_params(request: Request) -> DALIParams:
    """Parameters of a Flask request: query string, then form fields (multipart files apart)."""
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs.extend(request.form.items(multi=True))
    return DALIParams(pairs)


def dali_error_response(message: str, status: int, retry_after: int | None = None) -> Response:
    """The DALI error VOTable (``QUERY_STATUS=ERROR``) with an HTTP status."""
    response = Response(error_document(message), status=status, mimetype=VOTABLE_MIME)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def error_response(error: SoxsvoError) -> Response:
    """The DALI error document of a domain error (``Retry-After`` for fair-use limits)."""
    retry_after = error.retry_after if isinstance(error, LimitError) else None
    return dali_error_response(str(error), http_status(error), retry_after)


def dal_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose errors become DALI error documents and whose answers carry CORS
    headers, so that browser clients (Aladin Lite, notebooks) can call the service.

    Programs, not HTML forms, call DAL services: the blueprint needs no CSRF token."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    DAL_BLUEPRINTS.add(name)
    DAL_PREFIXES.add(url_prefix)
    blueprint.register_error_handler(SoxsvoError, error_response)

    @blueprint.after_request
    def _allow_browsers(response: Response) -> Response:
        # Any origin may read public answers; without Access-Control-Allow-Credentials no
        # browser lets another site read an answer made with its visitor's session cookie.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "Location, Content-Disposition, Retry-After")
        return response

    return exempt_from_csrf(blueprint)


def streamed(stream: ResultStream) -> Response:
    """The Flask answer of a :class:`ResultStream`: it is closed when the server closes the
    response, even when the client went away before the first byte."""
    response = Response(iter(stream), mimetype=stream.mime_type)
    response.call_on_close(stream.close)
    response.headers["Content-Disposition"] = f'inline; filename="{stream.filename}"'
    return response


def vosi_routes(blueprint: Blueprint, capabilities: Callable[[], bytes | str]) -> None:
    """Add ``/capabilities`` (the document ``capabilities()`` builds for this request) and
    ``/availability`` (true when the database answers a real query) to a DAL blueprint."""
    from soxsvo.dali.vosi import database_availability
    from soxsvo.web.context import connection

    @blueprint.get("/capabilities")
    def capabilities_view() -> Response:
        return Response(capabilities(), mimetype="text/xml")

    @blueprint.get("/availability")
    def availability_view() -> Response:
        return Response(database_availability(connection), mimetype="text/xml")
