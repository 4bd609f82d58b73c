"""Browser-facing protection: the session signing key and CSRF tokens on state-changing forms.

Every HTML form that changes state carries ``{{ csrf_token() }}`` (Flask-WTF); requests without a
valid token are refused with 400. The DAL services (TAP, UWS, SSA, DataLink, SODA, MOC) are
exempt: they are called by programs, not by forms, and answer public, read-only data or jobs
that belong to the caller's credentials, which a cross-site page cannot present.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

from soxsvo.config import Settings

csrf = CSRFProtect()


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


def init_security(app: Flask, settings: Settings) -> None:
    """Sign sessions with the archive's key and require CSRF tokens on forms."""
    app.config["SECRET_KEY"] = secret_key(settings)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind https the session cookie (a login) must never travel in clear text.
    app.config["SESSION_COOKIE_SECURE"] = settings.public_url.startswith("https://")
    csrf.init_app(app)


def exempt_from_csrf(blueprint: Blueprint) -> Blueprint:
    """Mark a programmatic (DAL) blueprint as not needing form CSRF tokens."""
    csrf.exempt(blueprint)
    return blueprint
