"""The errors a user can cause, one hierarchy for every interface.

Domain code raises these and knows nothing of HTTP or exit codes; each interface maps them
once: the CLI to one line and exit code 2 (:mod:`soxsvo.cli.common`), the DAL services to a
DALI error document (:mod:`soxsvo.dali.blueprint`), the REST API to RFC 9457 problem details
(:mod:`soxsvo.web.app`), with the status of :data:`HTTP_STATUS`.
"""

from __future__ import annotations


class SoxsvoError(Exception):
    """A failure soxsvo expects and explains: the message is for the person who caused it."""


class InputError(SoxsvoError, ValueError):
    """The request, file, query or setting is wrong; the message says what and where."""


class TooLargeError(InputError):
    """An upload or request is larger than the service accepts."""


class NotFoundError(SoxsvoError, LookupError):
    """What was asked for does not exist, or is not visible to the caller (the same answer:
    row-level security never says which)."""


class ForbiddenError(SoxsvoError):
    """The caller is known but lacks the right for this action."""


class ConflictError(SoxsvoError):
    """The action contradicts the current state (a stale version, a finished job...)."""


class LimitError(SoxsvoError):
    """A fair-use limit is reached; try again after ``retry_after`` seconds.

    Parameters
    ----------
    message : str
        What limit and what to do.
    retry_after : int
        Seconds the caller is asked to wait.
    overall : bool
        True when the service as a whole is full (503), False for the caller's own share (429).
    """

    def __init__(self, message: str, retry_after: int, *, overall: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.overall = overall


class ServiceError(SoxsvoError):
    """The service itself failed (a database error while answering); not the caller's fault."""


class InsufficientStorageError(ServiceError):
    """A write would eat into the disk reserve kept for the database (HTTP 507); retry once
    space is freed."""


#: HTTP status of each error class, the one place the web interfaces read it from.
HTTP_STATUS: dict[type[SoxsvoError], int] = {
    InputError: 400,
    TooLargeError: 413,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InsufficientStorageError: 507,
    ServiceError: 500,
    SoxsvoError: 500,
}


def http_status(error: SoxsvoError) -> int:
    """The HTTP status an interface answers ``error`` with (429/503 for :class:`LimitError`)."""
    if isinstance(error, LimitError):
        return 503 if error.overall else 429
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
