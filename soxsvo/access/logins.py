"""Password login with brute-force slow-down, counted before any password is checked.

Every attempt is recorded. After :data:`FREE_FAILURES` failures within :data:`WINDOW` (for one
login since its last success, or from one address), each further attempt must wait twice as
long as the one before after the latest failure (4 s, 8 s, 16 s ... up to :data:`MAX_WAIT_S`).
Waiting is asked of the client (429 with ``Retry-After``), not done by sleeping in the server,
so that guessing cannot tie up the web workers either.

An attempt is counted *before* its password is checked, under transaction-level advisory locks
on its login and its address: the throttle's read and the attempt's row are one atomic step,
and an attempt still being checked counts as a failure. Thirty simultaneous guesses therefore
get :data:`FREE_FAILURES` password checks, not thirty. The password hash (scrypt, about a
second of CPU) runs between two short transactions, holding no pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import psycopg

from soxsvo.access import Identity
from soxsvo.access.passwords import hash_password, needs_rehash, verify_password
from soxsvo.access.users import identity_for

FREE_FAILURES = 5
WINDOW = "15 minutes"
MAX_WAIT_S = 900
#: First key of the advisory locks that serialise the counting of attempts, by login (then
#: by address, :data:`_REMOTE_LOCK`). Always taken in this order, so two attempts never wait
#: for each other in a cycle.
_LOGIN_LOCK = 0x50785
_REMOTE_LOCK = 0x50786

#: What :func:`authenticate` needs to reach the database: a factory of connections used as a
#: context manager (a pooled connection in the web service, ``psycopg.connect`` elsewhere).
Connect = Callable[[], AbstractContextManager[psycopg.Connection]]


class LoginError(Exception):
    """Wrong login or password (never says which)."""


class LoginThrottledError(Exception):
    """Too many recent failures: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def wait_seconds(conn: psycopg.Connection, login: str, remote: str) -> int:
    """Seconds ``remote`` must still wait before trying ``login`` again (0: may try now).

    Attempts still being checked (``success IS NULL``) count as failures.
    """
    failures, latest, waited = conn.execute(
        f"""
        WITH recent AS (
            SELECT * FROM auth.login_attempt WHERE at > now() - interval '{WINDOW}'),
        by_login AS (
            SELECT at FROM recent WHERE login = %(login)s AND success IS NOT TRUE
              AND at > coalesce((SELECT max(at) FROM recent
                                 WHERE login = %(login)s AND success), '-infinity')),
        by_remote AS (SELECT at FROM recent WHERE remote = %(remote)s AND success IS NOT TRUE),
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


def begin_attempt(conn: psycopg.Connection, login: str, remote: str) -> tuple[int, str | None]:
    """Count an attempt of ``remote`` on ``login`` unless it must wait; commit.

    Returns the attempt's id and the stored password hash (None: no such active account).

    Raises
    ------
    LoginThrottledError
        When too many attempts failed (or are being checked) recently; nothing is recorded.
    """
    # Why the locks: without them, concurrent attempts all read the count before any of them
    # is recorded, and every one of them gets its password checked.
    conn.execute("SELECT pg_advisory_xact_lock(%s::int, hashtext(%s))", (_LOGIN_LOCK, login))
    conn.execute("SELECT pg_advisory_xact_lock(%s::int, hashtext(%s))",
                 (_REMOTE_LOCK, remote))
    wait = wait_seconds(conn, login, remote)
    if wait > 0:
        conn.rollback()
        raise LoginThrottledError(wait)
    conn.execute("DELETE FROM auth.login_attempt WHERE at < now() - interval '1 day'")
    attempt_id = conn.execute(
        "INSERT INTO auth.login_attempt (login, remote, at, success) "
        "VALUES (%s, %s, clock_timestamp(), NULL) RETURNING attempt_id",
        (login, remote)).fetchone()[0]
    row = conn.execute("SELECT password_hash FROM auth.account WHERE login = %s AND active",
                       (login,)).fetchone()
    conn.commit()
    return attempt_id, (row[0] if row else None)


def finish_attempt(conn: psycopg.Connection, attempt_id: int, login: str, ok: bool,
                   stored: str | None = None, rehashed: str | None = None) -> Identity | None:
    """Record the verdict of an attempt; store ``rehashed`` in place of ``stored`` (if the
    password is still ``stored``); commit. Returns the identity when ``ok`` and the account is
    still active."""
    # clock_timestamp(): the time of the verdict, not of the transaction's start.
    conn.execute("UPDATE auth.login_attempt SET success = %s, at = clock_timestamp() "
                 "WHERE attempt_id = %s", (ok, attempt_id))
    if ok and rehashed is not None:
        # Only over the hash that was checked: a password changed meanwhile stays changed.
        conn.execute("UPDATE auth.account SET password_hash = %s "
                     "WHERE login = %s AND password_hash = %s", (rehashed, login, stored))
    identity = identity_for(conn, login) if ok else None
    conn.commit()
    return identity


def authenticate(connect: Connect, login: str, password: str, remote: str) -> Identity:
    """Check a password login from address ``remote``, recording the attempt.

    Parameters
    ----------
    connect : callable
        Returns a connection as a context manager, e.g. :func:`soxsvo.web.context.connection`.
        It is called twice, for two short transactions; no connection is held while the
        password is hashed.
    login, password : str
        As typed.
    remote : str
        The caller's address (throttled as well as the login).

    Returns
    -------
    Identity
        The account's identity with its current roles and programmes.

    Raises
    ------
    LoginThrottledError
        When too many attempts failed recently (the attempt is not even checked).
    LoginError
        When the login is unknown, disabled or the password wrong.
    """
    login = login.strip().lower()[:64]
    with connect() as conn:
        attempt_id, stored = begin_attempt(conn, login, remote)
    # Should anything fail from here on, the attempt stays counted as a failure (success IS
    # NULL) until it leaves the window: failing closed.
    ok = verify_password(password, stored)
    rehashed = hash_password(password) if ok and needs_rehash(stored) else None
    with connect() as conn:
        identity = finish_attempt(conn, attempt_id, login, ok, stored, rehashed)
    if identity is None:
        raise LoginError("wrong login or password")
    return identity
