"""Server-side sessions of password logins: a signed cookie alone never keeps anyone logged in.

A browser that logged in holds a random session id in its (signed) session cookie; the database
holds the id's SHA-256, its login and its expiry in ``auth.session``. Every request looks the
row up (:func:`session_identity`), so deleting it ends the session at once, wherever a copy of
the cookie is: at logout (:func:`end_session`), on a password change and when the account is
disabled (:func:`end_sessions`, called by :mod:`soxsvo.access.users`).

A session ends after :data:`IDLE` without a request, and :data:`LIFETIME` after the login at
the latest.
"""

from __future__ import annotations

import hashlib
import secrets

import psycopg

from soxsvo.access import Identity

#: A session unused this long is over.
IDLE = "12 hours"
#: No session outlives its login by more than this.
LIFETIME = "7 days"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def start_session(conn: psycopg.Connection, login: str) -> str:
    """Record a new session of ``login``; commit; return the id for the cookie.

    Also forgets every session that has run out (the table stays as small as the number of
    browsers logged in).

    Raises
    ------
    ValueError
        When ``login`` is not an active account.
    """
    session_id = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM auth.session WHERE expires < now() "
                 f"OR last_seen < now() - interval '{IDLE}'")
    row = conn.execute(
        "INSERT INTO auth.session (session_hash, login, expires) "
        f"SELECT %s, login, now() + interval '{LIFETIME}' FROM auth.account "
        "WHERE login = %s AND active RETURNING login", (_digest(session_id), login)).fetchone()
    if row is None:
        conn.rollback()
        raise ValueError(f"no active user {login!r}")
    conn.commit()
    return session_id


def session_identity(conn: psycopg.Connection, session_id: str) -> Identity | None:
    """The identity (current roles and programmes) of a live session, else None.

    One statement in autocommit, which also notes the use (at most once a minute), as
    :func:`soxsvo.access.tokens.identify_token` does for tokens: checking a session costs a
    request one round trip. None for an unknown, ended, idle or expired session and for a
    disabled account.
    """
    was_autocommit = conn.autocommit
    conn.autocommit = True
    try:
        row = conn.execute(_IDENTIFY, {"hash": _digest(session_id)}).fetchone()
    finally:
        conn.autocommit = was_autocommit
    if row is None:
        return None
    login, roles, programmes = row
    return Identity(user=login, roles=frozenset(roles), programmes=frozenset(programmes))


_IDENTIFY = f"""
WITH live AS (
    SELECT s.session_hash, s.login, s.last_seen FROM auth.session s
    JOIN auth.account a USING (login)
    WHERE s.session_hash = %(hash)s AND a.active AND s.expires > now()
      AND s.last_seen > now() - interval '{IDLE}'),
touched AS (
    UPDATE auth.session SET last_seen = now()
    WHERE session_hash = (SELECT session_hash FROM live
                          WHERE last_seen < now() - interval '1 minute')
    RETURNING session_hash)
SELECT l.login,
       array(SELECT role FROM auth.role_grant r WHERE r.login = l.login),
       array(SELECT proposal_id FROM auth.programme_right p WHERE p.login = l.login)
FROM live l
"""


def end_session(conn: psycopg.Connection, session_id: str) -> None:
    """Forget one session (logout); commit."""
    conn.execute("DELETE FROM auth.session WHERE session_hash = %s", (_digest(session_id),))
    conn.commit()


def end_sessions(conn: psycopg.Connection, login: str) -> int:
    """Forget every session of ``login``, in the caller's transaction (not committed here);
    return how many there were."""
    return conn.execute("DELETE FROM auth.session WHERE login = %s", (login,)).rowcount
