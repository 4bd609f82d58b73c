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
from flask import Flask, current_app, g
from psycopg_pool import ConnectionPool

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


def init_pool(app: Flask, settings: Settings) -> None:
    """Remember where the database is; the pool itself opens on first use in each process."""
    # As many connections as the worker has threads (gunicorn's --threads, the same setting).
    app.extensions[_EXTENSION_KEY] = {"conninfo": Database(settings).conninfo, "pool": None,
                                      "pid": None, "size": settings.threads}


def _pool() -> ConnectionPool:
    state = current_app.extensions[_EXTENSION_KEY]
    # A pool opened before gunicorn forked would share sockets between workers.
    if state["pool"] is None or state["pid"] != os.getpid():
        state["pool"] = ConnectionPool(state["conninfo"], min_size=1, max_size=state["size"],
                                       open=True, kwargs={"autocommit": False})
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
    seconds (the pool's default, 30 s, when None).
    """
    pool = _pool()
    conn = pool.getconn(timeout=timeout)
    return conn, pool.putconn
