"""DALI errors: a typed exception and the VOTable error document it becomes."""

from __future__ import annotations

from flask import Response

from soxsvo.formats import error_document

VOTABLE_MIME = "application/x-votable+xml"


class DALIError(Exception):
    """A request a DAL service refuses; ``status`` is the HTTP status of the error document.

    Parameters
    ----------
    message : str
        What is wrong and where, for a person to read.
    status : int
        400 for bad input, 404 for unknown resources, 413 for too large uploads, 429/503 for
        fair-use limits, 500 for the service's own failures.
    retry_after : int, optional
        Seconds, sent as ``Retry-After`` (with 429/503).
    """

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def dali_error_response(error: DALIError) -> Response:
    """The DALI error VOTable (``QUERY_STATUS=ERROR``) with the error's HTTP status."""
    response = Response(error_document(str(error)), status=error.status, mimetype=VOTABLE_MIME)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
