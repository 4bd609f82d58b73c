"""The Flask blueprint every DAL service starts from: DALI errors and CORS in one place."""

from __future__ import annotations

from flask import Blueprint, Response

from soxsvo.dali.errors import DALIError, dali_error_response
from soxsvo.web.security import exempt_from_csrf

#: Names of the DAL blueprints: requests to them get their errors (e.g. a rejected API token
#: before any view runs) as DALI error documents.
DAL_BLUEPRINTS: set[str] = set()


def dal_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose DALIErrors become DALI error documents and whose answers carry CORS
    headers, so that browser clients (Aladin Lite, notebooks) can call the service.

    Programs, not HTML forms, call DAL services: the blueprint needs no CSRF token."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    DAL_BLUEPRINTS.add(name)

    @blueprint.errorhandler(DALIError)
    def _dali_error(error: DALIError) -> Response:
        return dali_error_response(error)

    @blueprint.after_request
    def _allow_browsers(response: Response) -> Response:
        # Any origin may read public answers; without Access-Control-Allow-Credentials no
        # browser lets another site read an answer made with its visitor's session cookie.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "Location, Content-Disposition, Retry-After")
        return response

    return exempt_from_csrf(blueprint)
