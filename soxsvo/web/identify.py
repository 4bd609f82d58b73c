"""Who is calling: the request hook that sets ``flask.g.identity``.

A request authenticates with, in this order: an ``Authorization`` header (``Bearer <token>``,
or HTTP Basic with the login as user name and an API token as password, which is what pyvo and
TOPCAT send), else the session cookie of a password login. Without either it stays anonymous.
A header that is present but not acceptable (malformed, unknown, expired or revoked token,
another scheme) is refused with 401 before any view runs: a client that meant to authenticate
must never silently receive the anonymous answer. The 401 comes in the caller's language: a
DALI error VOTable from DAL services, a JSON problem document from ``/api``, text elsewhere.
"""

from __future__ import annotations

import base64
import binascii

from flask import Flask, Response, g, request, session

from soxsvo.access.tokens import TokenError, identify_token
from soxsvo.access.users import identity_for
from soxsvo.dali.blueprint import DAL_BLUEPRINTS, dali_error_response
from soxsvo.web.auth import problem
from soxsvo.web.context import connection, current_identity

#: Session key holding the login of a password-authenticated browser.
SESSION_LOGIN = "login"
#: Requests that never need to know the caller (no database round trip for them).
_UNIDENTIFIED_BLUEPRINTS = frozenset({"vendor"})
_CHALLENGE = ('Bearer realm="soxsvo"', 'Basic realm="soxsvo", charset="UTF-8"')


def _parse(header: str) -> tuple[str, str | None]:
    """(token, login or None) from an Authorization header value."""
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials, None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("malformed HTTP Basic credentials") from None
        login, colon, token = decoded.partition(":")
        if not colon:
            raise TokenError("malformed HTTP Basic credentials: expected login:token")
        return token, login.strip().lower()
    raise TokenError(f"unsupported authorization scheme {scheme!r}: send "
                     "'Authorization: Bearer <API token>' or HTTP Basic with your login and "
                     "an API token as password")


def _from_header(header: str):
    token, login = _parse(header)
    with connection() as conn:
        return identify_token(conn, token, login)


def unauthorized(reason: str) -> Response:
    """A 401 answer saying why, in the form the requested service speaks, with no data."""
    message = f"authentication failed: {reason}"
    if request.blueprint in DAL_BLUEPRINTS:
        response = dali_error_response(message, 401)
    elif request.path.startswith("/api/"):
        response = problem(401, "authentication failed", reason)
    else:
        response = Response(message + "\n", status=401, mimetype="text/plain")
    for challenge in _CHALLENGE:
        response.headers.add("WWW-Authenticate", challenge)
    return response


def identify() -> Response | None:
    """Set ``g.identity`` for this request, or answer 401 for unacceptable credentials."""
    if request.endpoint == "static" or request.blueprint in _UNIDENTIFIED_BLUEPRINTS:
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        try:
            g.identity = _from_header(header)
        except TokenError as exc:
            return unauthorized(str(exc))
        return None
    login = session.get(SESSION_LOGIN)
    if login:
        with connection() as conn:
            identity = identity_for(conn, login)
            conn.rollback()
        if identity is None:
            # Disabled or deleted since it logged in: the session ends here.
            session.clear()
        else:
            g.identity = identity
    return None


def init_identity(app: Flask) -> None:
    """Identify every request and offer ``identity`` to templates."""
    app.before_request(identify)
    app.context_processor(lambda: {"identity": current_identity()})
