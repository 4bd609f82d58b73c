"""Set-up shared by fixtures: demo archive databases, a served ``soxsvo serve``, votlint.

Plain functions (not fixtures), so that each test directory's ``conftest.py`` builds what it
needs with the same steps as the session-wide ``demo_archive`` and ``served_demo``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests

from soxsvo.config import Settings, load_settings

#: The migrated template database of the session cluster (tests/conftest.py).
TEMPLATE_DB = "soxsvo_template"
#: Size and seed of every demo archive the tests build.
DEMO_TRANSIENTS = 12
DEMO_SEED = 7


def build_demo_database(pg_cluster, name: str, data_dir: Path, *, base_url: str | None = None,
                        **build_options) -> Settings:
    """Create database ``name`` from the migrated template and build the demo archive in it.

    Parameters
    ----------
    pg_cluster : LocalCluster
    name : str
        New database (dropped first if a previous run left it).
    data_dir : Path
        The archive's data directory.
    base_url : str, optional
        Public URL the products are registered under (the default settings' otherwise).
    **build_options
        Passed to :func:`soxsvo.demo.archive.build_demo_archive` (e.g. ``images``).
    """
    from soxsvo.archive.register import ArchiveConfig
    from soxsvo.demo.archive import build_demo_archive
    from soxsvo.observing.config import ObservingConfig

    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    values = {"SOXSVO_DATA_DIR": str(data_dir), "SOXSVO_DATABASE_URL": pg_cluster.conninfo(name)}
    if base_url is not None:
        values["SOXSVO_BASE_URL"] = base_url
    settings = load_settings(values)
    with psycopg.connect(settings.database_url) as conn:
        build_demo_archive(conn, ArchiveConfig.from_settings(settings),
                           n_transients=DEMO_TRANSIENTS, seed=DEMO_SEED,
                           workdir=data_dir / "work",
                           observing=ObservingConfig.from_settings(settings), **build_options)
    return settings


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_env(settings: Settings, port: int | None, base_url: str | None,
               extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=settings.database_url,
               # No readiness drain at the end of each test (tests of the drain set one).
               SOXSVO_SERVE_DRAIN_SECONDS="0")
    if port is not None:
        env["SOXSVO_PORT"] = str(port)
    if base_url is not None:
        env["SOXSVO_BASE_URL"] = base_url
    env.update(extra or {})
    return env


def _start_serve(settings: Settings, role: str, env: dict[str, str]) -> subprocess.Popen:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    log = settings.data_path / f"serve-{role}.log"
    # Its own session: a test can kill a whole node (kill -9 of its process group).
    return subprocess.Popen([sys.executable, "-m", "soxsvo.cli", "serve", "--workers", "2",
                             "--role", role], env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("ab"), start_new_session=True)


def _log_tail(settings: Settings, role: str) -> str:
    return (settings.data_path / f"serve-{role}.log").read_text(errors="replace")[-3000:]


@contextmanager
def soxsvo_serve(settings: Settings, port: int, *, base_url: str | None = None,
                 role: str = "all", env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``soxsvo serve --role role`` (``all``: gunicorn and UWS job workers; ``web``:
    gunicorn only) over ``settings`` on ``port`` until the block ends; yields its base URL
    once it answers ``/health`` (``/health/ready`` for ``web``). ``env``: more variables."""
    with served_node(settings, port, base_url=base_url, role=role, env=env) as (url, _):
        yield url


@contextmanager
def served_node(settings: Settings, port: int, *, base_url: str | None = None,
                role: str = "all", env: dict[str, str] | None = None,
                ) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`soxsvo_serve`, yielding its process too (to signal it)."""
    server = _start_serve(settings, role, _serve_env(settings, port, base_url, env))
    url = f"http://127.0.0.1:{port}"
    probe = f"{url}/health/ready" if role == "web" else f"{url}/health"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"soxsvo serve exited: {_log_tail(settings, role)}"
            try:
                if requests.get(probe, timeout=10).ok:
                    break
            except requests.RequestException:
                # Not listening yet, or still importing in its workers on a busy machine.
                assert time.monotonic() < deadline, "soxsvo serve did not answer in 90 s"
                time.sleep(0.2)
        yield url, server
    finally:
        _stop(server)


@contextmanager
def job_node(settings: Settings, *, env: dict[str, str] | None = None,
             ) -> Iterator[subprocess.Popen]:
    """Run ``soxsvo serve --role jobs`` over ``settings`` until the block ends; yields its
    process once its job workers are registered in ``uws.worker``."""
    node = _start_serve(settings, "jobs", _serve_env(settings, None, None, env))
    try:
        deadline = time.monotonic() + 90
        while len(node_worker_ids(settings, node.pid)) < load_settings(
                _serve_env(settings, None, None, env)).tap.job_workers:
            assert node.poll() is None, f"job node exited: {_log_tail(settings, 'jobs')}"
            assert time.monotonic() < deadline, "job node's workers not registered in 90 s"
            time.sleep(0.2)
        yield node
    finally:
        _stop(node)


def node_worker_ids(settings: Settings, pid: int) -> set[str]:
    """The ``uws.worker`` ids of the job workers below process ``pid`` (a node)."""
    import psutil

    try:
        pids = [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return set()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return {row[0] for row in conn.execute(
            "SELECT worker_id FROM uws.worker WHERE os_pid = ANY(%s)", (pids,))}


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    server.wait(timeout=90)


def votlint(document: bytes | Path) -> str:
    """STILTS votlint's messages about a VOTable, given as bytes or as a file (empty when it
    finds nothing wrong); skips the test where STILTS is not installed."""
    if shutil.which("stilts") is None:
        pytest.skip("stilts (Debian package stilts) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        path = document
        if isinstance(document, bytes):
            path = Path(folder) / "doc.vot"
            path.write_bytes(document)
        done = subprocess.run(["stilts", "votlint", f"votable={path}"], capture_output=True,
                              text=True, timeout=180, check=False)
    return (done.stdout + done.stderr).strip()


@contextmanager
def app_over(settings: Settings):
    """The soxsvo app over ``settings`` in testing mode; its database pool closed after."""
    from soxsvo.web.app import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        pool = app.extensions["soxsvo_pool"]["pool"]
        if pool is not None:
            pool.close()
