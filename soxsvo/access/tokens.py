"""Personal API tokens: created once (shown once), stored hashed, expiring, revocable.

A token reads ``sxv_<token_id>_<secret>``: the 12 hex digits of ``token_id`` find the row, the
secret (43 URL-safe characters, 256 bits) is compared with its stored SHA-256 in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from soxsvo.access import Identity

PREFIX = "sxv_"
TOKEN_RE = re.compile(r"^sxv_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
#: Longest lifetime a token may be given, in days.
MAX_DAYS = 366


class TokenError(Exception):
    """A token that cannot be accepted; the message says why (malformed, unknown, expired,
    revoked) and is safe to show to the caller."""


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    token_id: str
    login: str
    name: str
    created: dt.datetime
    expires: dt.datetime
    revoked: dt.datetime | None
    last_used: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked is None and self.expires > dt.datetime.now(dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(conn: psycopg.Connection, login: str, name: str = "", days: int = 90) -> str:
    """Create a token for ``login`` valid ``days`` days; commit; return the token text.

    The text is returned once and never stored: only its hash is kept.

    Raises
    ------
    ValueError
        For a lifetime outside 1..:data:`MAX_DAYS` days or an unknown or disabled login.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a token lives 1 to {MAX_DAYS} days, not {days}")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = conn.execute(
        "INSERT INTO auth.token (token_id, login, name, secret_hash, expires) "
        "SELECT %s, login, %s, %s, now() + make_interval(days => %s) FROM auth.account "
        "WHERE login = %s AND active RETURNING token_id",
        (token_id, name[:200], _digest(secret), days, login)).fetchone()
    if row is None:
        conn.rollback()
        raise ValueError(f"no active user {login!r}")
    conn.commit()
    return f"{PREFIX}{token_id}_{secret}"


def identify_token(conn: psycopg.Connection, text: str,
                   login: str | None = None) -> Identity:
    """The identity (current roles and programmes) of a token's owner; ``login``, when given
    (HTTP Basic), must be that owner.

    One statement in autocommit, which also records the time of use (to the minute): checking a
    token costs a request one round trip to the database.

    Raises
    ------
    TokenError
        When the token is malformed, unknown, of another user, expired, revoked, or its user
        is disabled.
    """
    match = TOKEN_RE.match(text.strip())
    if match is None:
        raise TokenError("malformed API token: expected sxv_<12 hex digits>_<43 characters>")
    token_id, secret = match.groups()
    digest = _digest(secret)
    was_autocommit = conn.autocommit
    conn.autocommit = True
    try:
        row = conn.execute(_IDENTIFY, {"id": token_id, "digest": digest}).fetchone()
    finally:
        conn.autocommit = was_autocommit
    # Compare even when the id is unknown, so timing does not reveal which ids exist.
    if not hmac.compare_digest(row[1] if row else _digest(""), digest) or row is None:
        raise TokenError("unknown API token")
    owner, _, expired, revoked, active, roles, programmes = row
    if login is not None and login != owner:
        raise TokenError(f"this API token does not belong to user {login!r}")
    if revoked:
        raise TokenError("this API token was revoked")
    if expired:
        raise TokenError("this API token has expired; create a new one on /account")
    if not active:
        raise TokenError("the user of this API token is disabled")
    return Identity(user=owner, roles=frozenset(roles), programmes=frozenset(programmes))


_IDENTIFY = """
WITH touched AS (
    -- Runs whatever the SELECT reads (a data-modifying WITH always does). At most one write a
    -- minute per token: a busy script must not turn every read into a write.
    UPDATE auth.token SET last_used = now()
    WHERE token_id = %(id)s AND secret_hash = %(digest)s AND revoked IS NULL
      AND expires > now() AND (last_used IS NULL OR last_used < now() - interval '1 minute')
    RETURNING token_id)
SELECT t.login, t.secret_hash, t.expires <= now(), t.revoked IS NOT NULL, a.active,
       array(SELECT role FROM auth.role_grant r WHERE r.login = t.login),
       array(SELECT proposal_id FROM auth.programme_right p WHERE p.login = t.login)
FROM auth.token t JOIN auth.account a USING (login)
WHERE t.token_id = %(id)s
"""


def revoke_token(conn: psycopg.Connection, token_id: str, login: str | None = None) -> bool:
    """Revoke a token (only if ``login`` owns it, when given); commit; False if none matched."""
    query = "UPDATE auth.token SET revoked = now() WHERE token_id = %s AND revoked IS NULL"
    args: list = [token_id]
    if login is not None:
        query += " AND login = %s"
        args.append(login)
    done = conn.execute(query, args).rowcount == 1
    conn.commit()
    return done


def list_tokens(conn: psycopg.Connection, login: str | None = None) -> list[TokenInfo]:
    """Tokens of ``login`` (all users' when None), newest first."""
    where, args = ("WHERE login = %s", [login]) if login is not None else ("", [])
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT token_id, login, name, created, expires, revoked, last_used "
            f"FROM auth.token {where} ORDER BY created DESC, token_id", args).fetchall()
    conn.rollback()
    return [TokenInfo(**row) for row in rows]
