"""The request context every view reads, and nothing else: a leaf, as flask/globals.py is.

:func:`current_settings`, :func:`current_identity` and a pooled :func:`connection` of the request
being served. Views import from here; this module imports no view, blueprint or app factory,
so the web package has no import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask, current_app, g, request
from psycopg_pool import ConnectionPool

from soxsvo import access
from soxsvo.access import ANONYMOUS, Identity
from soxsvo.config import Settings
from soxsvo.db import Database

_EXTENSION_KEY = "soxsvo_pool"


def current_settings() -> Settings:
    """The settings of the application serving the current request."""
    return current_app.config["SOXSVO"]


def current_identity() -> Identity:
    """The caller of the current request (anonymous unless it authenticated)."""
    return g.get("identity", ANONYMOUS)


def current_client() -> str:
    """Who the caller is for fair use: the authenticated user, else the remote address."""
    identity = current_identity()
    if not identity.is_anonymous:
        return f"user:{identity.user}"
    return f"addr:{request.remote_addr or 'unknown'}"


def init_pool(app: Flask, settings: Settings) -> None:
    """Remember where the database is; the pool itself opens on first use in each process."""
    # As many connections as the worker has threads (gunicorn's --threads, the same setting).
    app.extensions[_EXTENSION_KEY] = {"conninfo": Database(settings).conninfo, "pool": None,
                                      "pid": None, "size": settings.threads,
                                      "wait": float(settings.tap.sync_connection_wait)}


def _pool() -> ConnectionPool:
    state = current_app.extensions[_EXTENSION_KEY]
    # A pool opened before gunicorn forked would share sockets between workers.
    if state["pool"] is None or state["pid"] != os.getpid():
        # Each connection is checked when it is handed out: after PostgreSQL restarted, a
        # stale one is replaced at once instead of failing the request that got it.
        state["pool"] = ConnectionPool(state["conninfo"], min_size=1, max_size=state["size"],
                                       open=True, kwargs={"autocommit": False},
                                       check=ConnectionPool.check_connection,
                                       timeout=state["wait"])
        state["pid"] = os.getpid()
    return state["pool"]


@contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """A pooled connection for the current request (rolled back if left in a transaction)."""
    with _pool().connection() as conn:
        yield conn


def checkout(timeout: float | None = None) -> tuple[psycopg.Connection, object]:
    """A pooled connection and the function that gives it back, for responses that keep the
    connection while they stream (the view returns before the rows are read).

    Raises ``psycopg_pool.PoolTimeout`` when no connection frees up within ``timeout``
    seconds (``[tap] sync_connection_wait`` when None).
    """
    pool = _pool()
    conn = pool.getconn(timeout=timeout)
    return conn, pool.putconn


@contextmanager
def reading() -> Iterator[psycopg.Connection]:
    """A pooled connection inside the one reader transaction for the request's caller
    (:func:`soxsvo.access.reading`: row-level security, read-only, statement timeout)."""
    with connection() as conn, access.reading(
            conn, current_identity(), current_settings().query.sync_timeout):
        yield conn
