"""Who is calling: the request hook that sets ``flask.g.identity``, and the session it may use.

A request authenticates with, in this order: an ``Authorization`` header (``Bearer <token>``,
or HTTP Basic with the login as user name and an API token as password, which is what pyvo and
TOPCAT send), else the session cookie of a password login. Without either it stays anonymous.
A header that is present but not acceptable (malformed, unknown, expired or revoked token,
another scheme) is refused with 401 before any view runs: a client that meant to authenticate
must never silently receive the anonymous answer. The 401 comes in the caller's language: a
DALI error VOTable from DAL services, a JSON problem document from ``/api``, text elsewhere.

The session cookie holds only a random session id; the session itself lives in the database
(:mod:`soxsvo.access.sessions`), so logout, a password change or a disabled account end it
for every copy of the cookie. A browser sends its cookie with requests that other sites make
it send: every state-changing request authenticated by the cookie must carry the CSRF token,
on every path, UWS jobs and the REST API included
(:func:`soxsvo.web.security.require_csrf_token`).
"""

from __future__ import annotations

import base64
import binascii

from flask import Flask, Response, g, render_template, request, session
from flask_wtf.csrf import CSRFError

from soxsvo.access.sessions import end_session, session_identity, start_session
from soxsvo.access.tokens import TokenError, identify_token
from soxsvo.dali.blueprint import DAL_BLUEPRINTS, dali_error_response
from soxsvo.web.auth import problem
from soxsvo.web.context import connection, current_identity
from soxsvo.web.security import refuse_ambient_basic, require_csrf_token

#: Session key holding the id of a password login's server-side session.
SESSION_ID = "sid"
#: Session key holding the login of that session: for display and for tests, never trusted
#: (the database row of :data:`SESSION_ID` decides who the caller is).
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


def refusal(status: int, title: str, reason: str) -> Response:
    """A refusal in the form the requested service speaks: a DALI error document from DAL
    services, an RFC 9457 problem document under ``/api/``, a styled page elsewhere."""
    if request.blueprint in DAL_BLUEPRINTS:
        return dali_error_response(f"{title}: {reason}", status)
    if request.path.startswith("/api/"):
        return problem(status, title, reason)
    page = render_template("refused.html", title=title, reason=reason)
    return Response(page, status=status, mimetype="text/html")


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


def csrf_refused(error: CSRFError) -> Response:
    """The 400 answer to a state-changing browser request without a valid CSRF token."""
    return refusal(400, "CSRF token missing or invalid",
                   f"{error.description} A browser must send the CSRF token of a page of this "
                   "site (form field csrf_token or header X-CSRFToken) to change anything; "
                   "scripts authenticate with an API token in the Authorization header.")


def log_in(login: str) -> None:
    """Start a server-side session of ``login`` for this browser (its password was checked).

    The session is cleared first: nothing set before the login (an attacker's planted session
    included) survives it.
    """
    session.clear()
    with connection() as conn:
        session[SESSION_ID] = start_session(conn, login)
    session[SESSION_LOGIN] = login


def log_out() -> None:
    """End this browser's session, on the server as well: a copy of the cookie is dead too."""
    session_id = session.get(SESSION_ID)
    if session_id:
        with connection() as conn:
            end_session(conn, session_id)
    session.clear()


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
        if header.lstrip()[:6].lower() == "basic ":
            refuse_ambient_basic()
        return None
    session_id = session.get(SESSION_ID)
    if session_id:
        with connection() as conn:
            identity = session_identity(conn, session_id)
        if identity is None:
            # Logged out elsewhere, expired, password changed or account disabled.
            session.clear()
        else:
            # The cookie came along by itself: a state change needs proof that this site's
            # own page asked for it (blueprints exempt from the form check included).
            require_csrf_token()
            g.identity = identity
    return None


def init_identity(app: Flask) -> None:
    """Identify every request, offer ``identity`` to templates, and answer CSRF refusals in
    the caller's language."""
    app.before_request(identify)
    app.context_processor(lambda: {"identity": current_identity()})
    app.register_error_handler(CSRFError, csrf_refused)
