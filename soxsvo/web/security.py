"""Browser-facing protection: the session signing key, CSRF tokens, and the security headers.

Every HTML form that changes state carries ``{{ csrf_token() }}`` (Flask-WTF); requests without a
valid token are refused with 400. Blueprints called by programs (the DAL services, the REST API)
are exempt from that blanket check, because a program authenticates with an API token in the
``Authorization`` header, which no other site can make a browser send. What a browser does send
by itself is its session cookie: a state-changing request authenticated by the cookie needs the
CSRF token on every path, exempt blueprints included, but for DAL queries that change nothing
(:func:`require_csrf_token`, called by :mod:`soxsvo.web.identify` once it knows where the
identity came from).

Every answer carries the security headers of :func:`security_headers`: a Content-Security-Policy
that runs only scripts from this site (no inline script, no event-handler attribute), refuses
framing, and ``nosniff``, so that a VOTable or FITS file is never run as a page.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from soxsvo.config import Settings

csrf = CSRFProtect()

#: The Content-Security-Policy of every answer.
#:
#: - scripts: this site's files only (``/static``, ``/vendor``); no inline script or ``on*``
#:   attribute runs. ``'wasm-unsafe-eval'`` lets Aladin Lite compile its WebAssembly (it
#:   allows no JavaScript ``eval``); Aladin's workers start from ``blob:`` URLs.
#: - styles: ``'unsafe-inline'`` because Plotly and Aladin Lite style their elements from
#:   script; a style cannot run code.
#: - connections: this site, the SAMP Web Profile hub on the user's own machine (the "send to
#:   TOPCAT" buttons; ``samp.js`` calls ``http://localhost:21012``), and ``data:``/``blob:``
#:   URLs, which never leave the browser (Aladin Lite fetches its WebAssembly from one).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' data: blob: http://localhost:21012",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
#: DAL blueprints whose POST is a query: DALI makes POST mean what GET means there, and nothing
#: changes. Another site's page can make a browser send one with the cookie but cannot read the
#: answer (their CORS headers never allow credentials), so the session needs no CSRF token
#: there (pyvo with a logged-in ``requests`` session POSTs its queries). Every other path,
#: ``/tap/async`` (UWS: jobs are created and deleted) included, needs it.
QUERY_BLUEPRINTS = frozenset({"tap", "ssa", "datalink", "soda", "moc"})
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": behind https Flask-WTF refuses a form post whose Referer is not this
    # site, so the site's own pages must keep sending it to themselves.
    "Referrer-Policy": "same-origin",
}


def secret_key(settings: Settings) -> str:
    """The key that signs sessions and CSRF tokens, created once in the data dir (mode 0600).

    Kept in a file rather than generated per process, so that every gunicorn worker and every
    restart accept the same sessions.
    """
    path = Path(settings.data_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then linked into place: workers starting together never read a
        # half-written key, and the first one to link wins.
        draft = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def security_headers(response: Response) -> Response:
    """Add :data:`SECURITY_HEADERS` to an answer (those a view set itself are kept)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_security(app: Flask, settings: Settings) -> None:
    """Sign sessions with the archive's key, require CSRF tokens on forms, and put the security
    headers on every answer."""
    app.config["SECRET_KEY"] = secret_key(settings)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind https the session cookie (a login) must never travel in clear text.
    app.config["SESSION_COOKIE_SECURE"] = settings.public_url.startswith("https://")
    csrf.init_app(app)
    app.after_request(security_headers)


def exempt_from_csrf(blueprint: Blueprint) -> Blueprint:
    """Mark a blueprint called by programs (DAL services, REST API) as not needing form CSRF
    tokens from callers with an API token or none; a browser session still needs one to change
    anything (:func:`require_csrf_token`)."""
    csrf.exempt(blueprint)
    return blueprint


def require_csrf_token() -> None:
    """Refuse a state-changing request (POST, PUT, PATCH, DELETE) without a valid CSRF token.

    For requests authenticated by the session cookie, on every path but the DAL queries of
    :data:`QUERY_BLUEPRINTS`.

    Raises
    ------
    flask_wtf.csrf.CSRFError
        Answered with 400 in the caller's language (:func:`soxsvo.web.identify.csrf_refused`).
    """
    if current_app.config.get("WTF_CSRF_ENABLED", True) and \
            request.blueprint not in QUERY_BLUEPRINTS:
        csrf.protect()


def refuse_ambient_basic() -> None:
    """Refuse a state-changing request with HTTP Basic that another site's page made a browser
    send.

    A browser that once answered a Basic prompt resends the credentials by itself, like a
    cookie; it then says where the request came from in ``Sec-Fetch-Site``. Programs (pyvo,
    TOPCAT, curl) send no such header and are not affected; nor are the DAL queries of
    :data:`QUERY_BLUEPRINTS`, as for the cookie.

    Raises
    ------
    flask_wtf.csrf.CSRFError
    """
    if request.method in current_app.config["WTF_CSRF_METHODS"] and \
            request.blueprint not in QUERY_BLUEPRINTS and \
            request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise CSRFError("A browser sent HTTP Basic credentials for a request another site "
                        "made.")
