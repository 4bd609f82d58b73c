"""Accounts, their roles and programme rights, and the identity they give a request.

Rights are read from the database on every request (:func:`identity_for`), so a revoked role,
right or account takes effect at once, also for sessions already logged in. A new password and
a disabled account also end the account's browser sessions (:mod:`soxsvo.access.sessions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from soxsvo.access import Identity
from soxsvo.access.passwords import check_policy, hash_password
from soxsvo.access.sessions import end_sessions as _end_sessions
from soxsvo.errors import InputError

ROLES = ("consortium", "admin")
CAPACITIES = ("pi", "coi")
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
PROPOSAL_RE = re.compile(r"^[^,\s]+$")


class UserError(InputError):
    """A user-management request that cannot be done; the message says why."""


@dataclass(frozen=True)
class UserInfo:
    """An account as listed by :func:`list_users`."""

    login: str
    full_name: str
    email: str
    active: bool
    has_password: bool
    roles: tuple[str, ...]
    programmes: tuple[str, ...]


def _check_login(login: str) -> None:
    if not LOGIN_RE.match(login):
        raise UserError(f"login {login!r} must be 1-64 lower-case letters, digits, '.', '_' or "
                        "'-', starting with a letter or digit")


def add_user(conn: psycopg.Connection, login: str, password: str | None = None,
             full_name: str = "", email: str = "") -> None:
    """Create an account (with no password: API tokens only); commit.

    Raises
    ------
    UserError
        For an invalid or existing login, or a too weak password.
    """
    _check_login(login)
    hashed = None
    if password is not None:
        try:
            check_policy(password)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        hashed = hash_password(password)
    try:
        conn.execute("INSERT INTO auth.account (login, full_name, email, password_hash) "
                     "VALUES (%s, %s, %s, %s)", (login, full_name, email, hashed))
    except psycopg.errors.UniqueViolation:
        conn.rollback()
        raise UserError(f"user {login!r} exists already") from None
    conn.commit()


def set_password(conn: psycopg.Connection, login: str, password: str) -> None:
    """Give ``login`` a new password and end all its browser sessions; commit.

    A password is changed because it may be known to someone else: whoever logged in with the
    old one must not stay logged in.
    """
    try:
        check_policy(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    _update_one(conn, "UPDATE auth.account SET password_hash = %s WHERE login = %s",
                (hash_password(password), login), login, end_sessions=True)


def set_active(conn: psycopg.Connection, login: str, active: bool) -> None:
    """Enable or disable an account; commit.

    A disabled account can neither log in nor use its tokens, and its browser sessions end
    (they are deleted, not suspended: enabling the account again does not revive them).
    """
    _update_one(conn, "UPDATE auth.account SET active = %s WHERE login = %s",
                (active, login), login, end_sessions=not active)


def _update_one(conn: psycopg.Connection, query: str, args: tuple, login: str, *,
                end_sessions: bool = False) -> None:
    if conn.execute(query, args).rowcount != 1:
        conn.rollback()
        raise UserError(f"no user {login!r}")
    if end_sessions:
        _end_sessions(conn, login)
    conn.commit()


def grant(conn: psycopg.Connection, login: str, role: str | None = None,
          programme: str | None = None, capacity: str = "coi") -> None:
    """Grant a role (``consortium``, ``admin``) or a right on a programme (``proposal_id`` as
    ``pi`` or ``coi``); commit. Granting again is harmless (the capacity is updated)."""
    if (role is None) == (programme is None):
        raise UserError("grant either a role or a programme")
    try:
        if role is not None:
            if role not in ROLES:
                raise UserError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
            conn.execute("INSERT INTO auth.role_grant (login, role) VALUES (%s, %s) "
                         "ON CONFLICT DO NOTHING", (login, role))
        else:
            if capacity not in CAPACITIES or not PROPOSAL_RE.match(programme):
                raise UserError(f"programme rights are {' or '.join(CAPACITIES)} on a "
                                f"proposal_id without spaces or commas, not {programme!r}")
            conn.execute("INSERT INTO auth.programme_right (login, proposal_id, capacity) "
                         "VALUES (%s, %s, %s) ON CONFLICT (login, proposal_id) "
                         "DO UPDATE SET capacity = EXCLUDED.capacity",
                         (login, programme, capacity))
    except psycopg.errors.ForeignKeyViolation:
        conn.rollback()
        raise UserError(f"no user {login!r}") from None
    conn.commit()


def revoke(conn: psycopg.Connection, login: str, role: str | None = None,
           programme: str | None = None) -> bool:
    """Take a role or programme right away; commit; False when ``login`` did not hold it."""
    if (role is None) == (programme is None):
        raise UserError("revoke either a role or a programme")
    if role is not None:
        cur = conn.execute("DELETE FROM auth.role_grant WHERE login = %s AND role = %s",
                           (login, role))
    else:
        cur = conn.execute("DELETE FROM auth.programme_right WHERE login = %s AND "
                           "proposal_id = %s", (login, programme))
    conn.commit()
    return cur.rowcount == 1


def identity_for(conn: psycopg.Connection, login: str) -> Identity | None:
    """The identity of an active account with its current roles and programmes, else None.

    Does not end the connection's transaction.
    """
    row = conn.execute(
        "SELECT array(SELECT role FROM auth.role_grant r WHERE r.login = a.login), "
        "array(SELECT proposal_id FROM auth.programme_right p WHERE p.login = a.login) "
        "FROM auth.account a WHERE a.login = %s AND a.active", (login,)).fetchone()
    if row is None:
        return None
    return Identity(user=login, roles=frozenset(row[0]), programmes=frozenset(row[1]))


def list_users(conn: psycopg.Connection) -> list[UserInfo]:
    """All accounts with their roles and programme rights, by login."""
    rows = conn.execute(
        "SELECT login, full_name, email, active, password_hash IS NOT NULL, "
        "array(SELECT role FROM auth.role_grant r WHERE r.login = a.login ORDER BY role), "
        "array(SELECT proposal_id || ' (' || capacity || ')' FROM auth.programme_right p "
        "      WHERE p.login = a.login ORDER BY proposal_id) "
        "FROM auth.account a ORDER BY login").fetchall()
    conn.rollback()
    return [UserInfo(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), tuple(r[6])) for r in rows]
