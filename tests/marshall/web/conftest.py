"""Fixtures of the Marshall's web tests: a writable demo archive per test, and identities.

A demo archive (12 transients with photometry and registered spectra) is built once into a
template database; each test gets its own copy, so workflow changes never leak between tests.
Tests choose the caller with the test-only header ``X-Test-User: name:role,role``: a
``before_request`` hook added only in these fixtures creates that account and lets the request
authenticate for real (API token or session, see :func:`install_test_identity`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from flask import request, session

from soxsvo.config import load_settings
from tests.support import build_demo_database

MARSHALL_TEMPLATE = "marshall_demo"
CONSORTIUM = {"X-Test-User": "anna:consortium", "Authorization": "Bearer test-token"}
OUTSIDER = {"X-Test-User": "olga:", "Authorization": "Bearer test-token"}


@pytest.fixture(scope="session")
def marshall_template(pg_cluster, tmp_path_factory):
    """Data dir of the demo archive in the template database ``marshall_demo``."""
    data_dir = tmp_path_factory.mktemp("marshall-data")
    build_demo_database(pg_cluster, MARSHALL_TEMPLATE, data_dir)
    return data_dir


@pytest.fixture
def marshall_settings(pg_cluster, marshall_template) -> Iterator:
    """Settings of this test's own copy of the Marshall demo archive."""
    name = f"m{os.getpid()}_{id(object())}"
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{MARSHALL_TEMPLATE}"')
    yield load_settings({"SOXSVO_DATA_DIR": str(marshall_template),
                         "SOXSVO_DATABASE_URL": pg_cluster.conninfo(name)})
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def install_test_identity(app) -> None:
    """Let requests name their caller with ``X-Test-User: user:role,role`` (tests only).

    The account is created (its roles set to exactly those named) and the request then
    authenticates for real through the access layer: with an API token of that account when it
    carries the placeholder ``Authorization: Bearer test-token`` (a script), else through the
    session cookie (a logged-in browser). A request without the header is anonymous.
    """
    from soxsvo.access import tokens, users
    from soxsvo.web.context import connection
    from soxsvo.web.identify import SESSION_ID, SESSION_LOGIN, log_in

    minted: dict[str, str] = {}

    def _as_named_user():
        header = request.headers.get("X-Test-User")
        if not header:
            session.pop(SESSION_ID, None)
            return
        user, _, roles = header.partition(":")
        wanted = [r for r in roles.split(",") if r]
        with connection() as conn:
            if users.identity_for(conn, user) is None:
                conn.rollback()
                users.add_user(conn, user)
            conn.execute("DELETE FROM auth.role_grant WHERE login = %s AND NOT role = ANY(%s)",
                         (user, wanted))
            conn.commit()
            for role in wanted:
                users.grant(conn, user, role=role)
            if user not in minted:
                minted[user] = tokens.create_token(conn, user, "marshall tests")
        if request.headers.get("Authorization") == "Bearer test-token":
            request.environ["HTTP_AUTHORIZATION"] = f"Bearer {minted[user]}"
        elif session.get(SESSION_LOGIN) != user or SESSION_ID not in session:
            # A real server-side session, as a password login starts (kept while the same
            # user asks again, so that a page's CSRF token stays valid).
            log_in(user)

    # First of all hooks: the access layer's own then identifies the caller.
    app.before_request_funcs.setdefault(None, []).insert(0, _as_named_user)


@pytest.fixture
def marshall_app(marshall_settings):
    """The application over this test's archive copy, with the test identity hook."""
    from soxsvo.web.app import create_app

    app = create_app(marshall_settings)
    app.config["TESTING"] = True
    install_test_identity(app)
    yield app
    pool = app.extensions["soxsvo_pool"]["pool"]
    if pool is not None:
        pool.close()


@pytest.fixture
def mclient(marshall_app):
    """Test client of the Marshall application."""
    return marshall_app.test_client()


@pytest.fixture
def mconn(marshall_settings) -> Iterator[psycopg.Connection]:
    """A connection (archive role) to this test's archive copy."""
    with psycopg.connect(marshall_settings.database_url) as conn:
        yield conn
