"""Every error the app answers, in the form the caller speaks, decided in one place.

DAL services get a DALI error VOTable, the REST API (``/api/...``) RFC 9457 problem details,
a browser a styled page; a database that is down or a pool that stays full is a 503 with
``Retry-After`` — never a bare 500 and never the framework's own HTML.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response, render_template, request
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from soxsvo.dali.blueprint import DAL_BLUEPRINTS, DAL_PREFIXES, dali_error_response
from soxsvo.errors import LimitError, SoxsvoError, http_status
from soxsvo.web.auth import problem

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait while the database is unreachable or the pool is full:
#: long enough for a restart of PostgreSQL, short enough not to lose the client.
DATABASE_RETRY_AFTER = 10


def answer(status: int, title: str, detail: str, retry_after: int | None = None) -> Response:
    """The error answer for the current request's kind of caller."""
    if request.blueprint in DAL_BLUEPRINTS or _under_dal_prefix(request.path):
        response = dali_error_response(detail, status, retry_after)
    elif request.path.startswith("/api/"):
        response = problem(status, title, detail)
    else:
        html = render_template("error.html", status=status, title=title, detail=detail,
                               retry_after=retry_after)
        response = Response(html, status=status, mimetype="text/html")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _under_dal_prefix(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in DAL_PREFIXES)


def _domain_error(error: SoxsvoError) -> Response:
    retry_after = error.retry_after if isinstance(error, LimitError) else None
    return answer(http_status(error), type(error).__name__, str(error), retry_after)


def _http_error(error: HTTPException) -> Response:
    return answer(error.code or 500, error.name, error.description or error.name)


def _pool_timeout(error: PoolTimeout) -> Response:
    return answer(503, "service busy", "every database connection of this server is in use; "
                  "try again shortly", DATABASE_RETRY_AFTER)


def _unreachable(error: psycopg.OperationalError) -> bool:
    """A connection that failed or broke (no SQLSTATE, class 08, or the server shutting
    down), as opposed to an operational error of one statement (a cancelled query...)."""
    state = error.sqlstate or ""
    return not state or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def _database_error(error: psycopg.OperationalError) -> Response:
    if not _unreachable(error):
        log.exception("database error while answering %s", request.path)
        return answer(500, "internal error", "the service failed to answer; the error is "
                      "logged")
    # The connection broke or the server is not there: not the caller's fault, and not a
    # reason to show PostgreSQL's message (it may name hosts and sockets).
    log.warning("database unavailable: %s", error)
    return answer(503, "database unavailable", "the archive's database does not answer "
                  "right now; try again shortly", DATABASE_RETRY_AFTER)


def init_error_handlers(app: Flask) -> None:
    """Register the app-wide error answers (blueprint handlers, e.g. DALI's, come first)."""
    app.register_error_handler(SoxsvoError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(PoolTimeout, _pool_timeout)
    app.register_error_handler(psycopg.OperationalError, _database_error)
