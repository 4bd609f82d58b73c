"""Password login with brute-force slow-down.

Every attempt is recorded. After :data:`FREE_FAILURES` failures within :data:`WINDOW` (for one
login since its last success, or from one address), each further attempt must wait twice as
long as the one before after the latest failure (4 s, 8 s, 16 s ... up to :data:`MAX_WAIT_S`).
Waiting is asked of the client (429 with ``Retry-After``), not done by sleeping in the server,
so that guessing cannot tie up the web workers either.
"""

from __future__ import annotations

import psycopg

from soxsvo.access import Identity
from soxsvo.access.passwords import hash_password, needs_rehash, verify_password
from soxsvo.access.users import identity_for

FREE_FAILURES = 5
WINDOW = "15 minutes"
MAX_WAIT_S = 900


class LoginError(Exception):
    """Wrong login or password (never says which)."""


class LoginThrottledError(Exception):
    """Too many recent failures: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def wait_seconds(conn: psycopg.Connection, login: str, remote: str) -> int:
    """Seconds ``remote`` must still wait before trying ``login`` again (0: may try now)."""
    failures, latest, waited = conn.execute(
        f"""
        WITH recent AS (
            SELECT * FROM auth.login_attempt WHERE at > now() - interval '{WINDOW}'),
        by_login AS (
            SELECT at FROM recent WHERE login = %(login)s AND NOT success AND at > coalesce(
                (SELECT max(at) FROM recent WHERE login = %(login)s AND success), '-infinity')),
        by_remote AS (SELECT at FROM recent WHERE remote = %(remote)s AND NOT success),
        worst AS (
            SELECT count(*) AS n, max(at) AS latest FROM by_login
            UNION ALL SELECT count(*), max(at) FROM by_remote)
        SELECT n, latest, extract(epoch FROM clock_timestamp() - latest)
        FROM worst ORDER BY n DESC LIMIT 1
        """, {"login": login, "remote": remote}).fetchone()
    if failures < FREE_FAILURES or latest is None:
        return 0
    needed = min(2 ** (failures - FREE_FAILURES + 2), MAX_WAIT_S)
    return max(0, int(needed - float(waited) + 0.999))


def authenticate(conn: psycopg.Connection, login: str, password: str,
                 remote: str) -> Identity:
    """Check a password login from address ``remote``; record the attempt; commit.

    Raises
    ------
    LoginThrottledError
        When too many attempts failed recently (the attempt is not even checked).
    LoginError
        When the login is unknown, disabled or the password wrong.
    """
    login = login.strip().lower()[:64]
    wait = wait_seconds(conn, login, remote)
    if wait > 0:
        conn.rollback()
        raise LoginThrottledError(wait)
    row = conn.execute("SELECT password_hash FROM auth.account WHERE login = %s AND active",
                       (login,)).fetchone()
    stored = row[0] if row else None
    ok = verify_password(password, stored)
    conn.execute("DELETE FROM auth.login_attempt WHERE at < now() - interval '1 day'")
    # clock_timestamp(): the time of the verdict, not of the transaction's start.
    conn.execute("INSERT INTO auth.login_attempt (login, remote, at, success) "
                 "VALUES (%s, %s, clock_timestamp(), %s)", (login, remote, ok))
    if ok and needs_rehash(stored):
        conn.execute("UPDATE auth.account SET password_hash = %s WHERE login = %s",
                     (hash_password(password), login))
    identity = identity_for(conn, login) if ok else None
    conn.commit()
    if identity is None:
        raise LoginError("wrong login or password")
    return identity
