"""Fixtures of the UWS (TAP async) tests: an app over this test's own database, and workers.

Jobs write to ``uws.*``, so they run against the fresh per-test database (``settings``), never
the shared read-only demo archive; their queries read ``tap_schema``, which every migrated
database has.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from xml.etree import ElementTree as ET

import pytest

from soxsvo.config import Settings, load_settings

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
#: Five copies of TAP_SCHEMA.columns cross-joined: billions of rows, many minutes of work, so
#: it still runs when a test aborts it, kills its worker or lets it time out.
LONG_QUERY = ("SELECT COUNT(*) AS n FROM tap_schema.columns AS a, tap_schema.columns AS b, "
              "tap_schema.columns AS c, tap_schema.columns AS d, tap_schema.columns AS e")


def _close_pool(app) -> None:
    pool = app.extensions["soxsvo_pool"]["pool"]
    if pool is not None:
        pool.close()


@pytest.fixture
def uws_app(settings: Settings):
    """The soxsvo app over this test's database, with the ``/tap/async`` blueprint."""
    from soxsvo.tap.uws.views import blueprint
    from soxsvo.web.app import create_app

    app = create_app(settings)
    if "uws" not in app.blueprints:
        app.register_blueprint(blueprint)
    app.config["TESTING"] = True
    yield app
    _close_pool(app)


@pytest.fixture
def uws_client(uws_app):
    """A Flask test client of ``uws_app``."""
    return uws_app.test_client()


class WorkerThreads:
    """Workers run as threads of the test process (the code a worker process runs)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: list[tuple[threading.Thread, threading.Event]] = []

    def start(self, n: int = 1) -> None:
        from soxsvo.tap.uws.worker import run_worker

        for _ in range(n):
            stop = threading.Event()
            thread = threading.Thread(target=run_worker, args=(self.settings, stop),
                                      kwargs={"poll_interval": 0.5}, daemon=True)
            thread.start()
            self.running.append((thread, stop))

    def stop(self) -> None:
        for _, stop in self.running:
            stop.set()
        for thread, _ in self.running:
            thread.join(30)
        self.running.clear()


@pytest.fixture
def uws_workers(settings: Settings) -> Iterator[WorkerThreads]:
    """Start workers with ``uws_workers.start()``; they stop at the end of the test."""
    workers = WorkerThreads(settings)
    yield workers
    workers.stop()


@pytest.fixture
def uws_worker(uws_workers: WorkerThreads) -> WorkerThreads:
    """One worker thread, already started."""
    uws_workers.start(1)
    return uws_workers


class UWSHelper:
    """Shortcuts over a test client of ``/tap/async`` (a fixture, so test modules need not
    import this conftest)."""

    ns = UWS
    long_query = LONG_QUERY

    def __init__(self, client) -> None:
        self.client = client

    @staticmethod
    def job_id_of(response) -> str:
        """The job id of a 303 answer to a job creation."""
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    def create(self, query: str, **params: str) -> str:
        """POST a job; return its id."""
        data = {"LANG": "ADQL", "QUERY": query, **params}
        return self.job_id_of(self.client.post("/tap/async", data=data))

    def phase(self, job_id: str) -> str:
        """The job's phase as the phase resource says it."""
        response = self.client.get(f"/tap/async/{job_id}/phase")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    def wait_for(self, job_id: str, phases: set[str], timeout: float = 30) -> str:
        """Poll until the job reaches one of ``phases``; return it (fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        phase = None
        while time.monotonic() < deadline:
            phase = self.phase(job_id)
            if phase in phases:
                return phase
            time.sleep(0.1)
        pytest.fail(f"job {job_id} still {phase} after {timeout} s, expected {phases}")

    @staticmethod
    def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
        """True as soon as ``check()`` is, False after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.1)
        return False

    @staticmethod
    def xml(response) -> ET.Element:
        """The parsed XML body of a response."""
        return ET.fromstring(response.get_data())


@pytest.fixture
def uws(uws_client) -> UWSHelper:
    """Helpers over ``uws_client``."""
    return UWSHelper(uws_client)


@pytest.fixture
def uws_settings_factory(settings: Settings, tmp_path):
    """Settings of this test's database with other values, e.g. ``{"TAP_MAX_JOBS_PER_CLIENT":
    "1"}`` (names without the ``SOXSVO_`` prefix)."""

    def make(**overrides: str) -> Settings:
        env = {"SOXSVO_DATA_DIR": str(settings.data_path),
               "SOXSVO_DATABASE_URL": settings.database_url}
        env.update({f"SOXSVO_{key.upper()}": value for key, value in overrides.items()})
        return load_settings(env)

    return make


@pytest.fixture(scope="session")
def eso_client(pg_cluster, tmp_path_factory):
    """A test client over the archive of ``tests/tap/eso_data.py`` (built once, read-only),
    and the API token of the PI of its proprietary programme."""
    import psycopg

    from soxsvo.access import tokens, users
    from soxsvo.web.app import create_app
    from tests.support import TEMPLATE_DB

    from .eso_data import SECRET_PROGRAMME, build

    name = "eso_archive"
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    settings = load_settings({"SOXSVO_DATA_DIR": str(tmp_path_factory.mktemp("eso-data")),
                              "SOXSVO_DATABASE_URL": pg_cluster.conninfo(name)})
    with psycopg.connect(settings.database_url) as conn:
        build(conn)
        users.add_user(conn, "secretpi", None, "PI of the secret programme")
        users.grant(conn, "secretpi", programme=SECRET_PROGRAMME, capacity="pi")
        token = tokens.create_token(conn, "secretpi", "eso tests")
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app.test_client(), token
    _close_pool(app)
