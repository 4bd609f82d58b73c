"""The Flask blueprint every DAL service starts from: DALI errors and CORS in one place."""

from __future__ import annotations

from flask import Blueprint, Response

from soxsvo.dali.errors import DALIError, dali_error_response
from soxsvo.web.security import exempt_from_csrf


def dal_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose DALIErrors become DALI error documents and whose answers carry CORS
    headers, so that browser clients (Aladin Lite, notebooks) can call the service.

    Programs, not HTML forms, call DAL services: the blueprint needs no CSRF token."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)

    @blueprint.errorhandler(DALIError)
    def _dali_error(error: DALIError) -> Response:
        return dali_error_response(error)

    @blueprint.after_request
    def _allow_browsers(response: Response) -> Response:
        # Read-only services showing released data only: any origin may read them.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "Location, Content-Disposition, Retry-After")
        return response

    return exempt_from_csrf(blueprint)
