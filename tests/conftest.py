"""Shared fixtures: one private PostgreSQL+q3c cluster per test run, a fresh database per test.

The cluster is started with the same code soxsvo uses for its embedded default
(``soxsvo.db.cluster.LocalCluster``). A template database holds the migrated schema; each
test gets its own copy (``CREATE DATABASE ... TEMPLATE``), so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from soxsvo.config import Settings, load_settings
from soxsvo.db.cluster import LocalCluster
from soxsvo.tap.schema import upgrade_database
from tests.support import TEMPLATE_DB, build_demo_database, free_port, soxsvo_serve

#: Third-party corpora the tests read (ADQL queries, survey alert packets): see data/README.md.
DATA_DIR = Path(__file__).resolve().parent / "data"
_db_numbers = itertools.count()


def _short_tempdir(prefix: str) -> Path:
    # Unix socket paths are limited to ~107 bytes: keep the cluster's data dir short, and
    # traversable by the unprivileged user that runs PostgreSQL when tests run as root.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    """A private PostgreSQL cluster with q3c and a migrated template database."""
    root = _short_tempdir("sxt-")
    cluster = LocalCluster(root)
    cluster.acquire()
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    with psycopg.connect(cluster.conninfo(TEMPLATE_DB)) as conn:
        upgrade_database(conn)
    yield cluster
    cluster.release()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def db_conninfo(pg_cluster: LocalCluster) -> Iterator[str]:
    """Connection string of a fresh, migrated database used by this test only."""
    name = f"t{os.getpid()}_{next(_db_numbers)}"
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    yield pg_cluster.conninfo(name)
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_conn(db_conninfo: str) -> Iterator[psycopg.Connection]:
    """A psycopg connection to this test's own migrated database."""
    with psycopg.connect(db_conninfo) as conn:
        yield conn


@pytest.fixture
def settings(tmp_path: Path, db_conninfo: str) -> Settings:
    """Settings with a private data dir and this test's database."""
    env = {"SOXSVO_DATA_DIR": str(tmp_path / "data"), "SOXSVO_DATABASE_URL": db_conninfo}
    return load_settings(env)


@pytest.fixture
def data_dir() -> Path:
    """``tests/data``: the conformance corpora and survey alert formats kept in the repository."""
    return DATA_DIR


@pytest.fixture(scope="session")
def demo_archive(pg_cluster: LocalCluster, tmp_path_factory) -> Settings:
    """Settings of a read-only demo archive (12 transients, registered spectra), built once.

    Tests must not modify it; those that write use ``db_conninfo``/``settings`` instead.
    """
    return build_demo_database(pg_cluster, "demo_archive", tmp_path_factory.mktemp("demo-data"))


@pytest.fixture(scope="session")
def demo_app(demo_archive: Settings):
    """The Flask application over the demo archive."""
    from soxsvo.web.app import create_app

    app = create_app(demo_archive)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(demo_app):
    """A Flask test client of the demo archive's application."""
    return demo_app.test_client()


@pytest.fixture(scope="session")
def live_server(demo_app):
    """The demo application served over HTTP on a free port (threaded werkzeug), for real
    clients (pyvo, astroquery, STILTS) that need a URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    port = server.server_port
    demo_app.config["SOXSVO"].values["base_url"] = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def served_demo(demo_archive: Settings):
    """`soxsvo serve` (gunicorn and UWS job workers) over the demo archive: the real service,
    for STILTS taplint, pyvo and astroquery. Yields its base URL."""
    with soxsvo_serve(demo_archive, free_port()) as url:
        yield url


@pytest.fixture(scope="session")
def vo(pg_cluster, tmp_path_factory):
    """The served archive of ``tests/vo_archive.py`` (spectra and images, released and
    proprietary), built once for the cone search and SIA tests."""
    from tests import vo_archive

    yield from vo_archive.vo_archive(pg_cluster, tmp_path_factory.mktemp("vo-data"))


@pytest.fixture
def votlint():
    """``votlint(bytes)``: STILTS votlint's messages about a document (empty when clean)."""
    from tests import support

    return support.votlint
