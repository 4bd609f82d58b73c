"""Fixtures of the Marshall's web tests: a writable demo archive per test, and identities.

A demo archive (12 transients with photometry and registered spectra) is built once into a
template database; each test gets its own copy, so workflow changes never leak between tests.
Until the access layer's login lands here, tests choose the caller with the test-only header
``X-Test-User: name:role,role`` (read by a ``before_request`` hook added only in these
fixtures), which sets ``flask.g.identity`` as the access layer would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from flask import g, request

from soxsvo.access import Identity
from soxsvo.config import load_settings

MARSHALL_TEMPLATE = "marshall_demo"
CONSORTIUM = {"X-Test-User": "anna:consortium", "Authorization": "Bearer test-token"}
OUTSIDER = {"X-Test-User": "olga:", "Authorization": "Bearer test-token"}


@pytest.fixture(scope="session")
def marshall_template(pg_cluster, tmp_path_factory):
    """Data dir of the demo archive in the template database ``marshall_demo``."""
    from soxsvo.demo.archive import build_demo_archive
    from soxsvo.pipeline.register import ArchiveConfig

    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{MARSHALL_TEMPLATE}" TEMPLATE soxsvo_template')
    data_dir = tmp_path_factory.mktemp("marshall-data")
    settings = load_settings({"SOXSVO_DATA_DIR": str(data_dir),
                              "SOXSVO_DATABASE_URL": pg_cluster.conninfo(MARSHALL_TEMPLATE)})
    with psycopg.connect(settings.database_url) as conn:
        build_demo_archive(conn, ArchiveConfig.from_settings(settings), n_transients=12,
                           seed=7, workdir=data_dir / "work")
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
    """Let requests name their caller with ``X-Test-User: user:role,role`` (tests only)."""
    @app.before_request
    def _identity_from_test_header():
        header = request.headers.get("X-Test-User")
        if header:
            user, _, roles = header.partition(":")
            g.identity = Identity(user=user, roles=frozenset(r for r in roles.split(",") if r))


@pytest.fixture
def marshall_app(marshall_settings):
    """The application over this test's archive copy, with the test identity hook."""
    from soxsvo.web import create_app

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
