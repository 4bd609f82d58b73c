"""``soxsvo serve`` and ``soxsvo demo``: run the service, fill a demo archive."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from soxsvo.cli.common import fail, handles_errors, read_settings, started_database, upgrade
from soxsvo.config import Settings
from soxsvo.db import Database
from soxsvo.web.drain import ROLE_ENV, ROLES, drain_file

#: Seconds before a killed gunicorn master (or watcher) is started again (its workers need
#: about a second to see that it is gone and let go of the port).
RESTART_DELAY = 2.0


# -- serve -----------------------------------------------------------------------------------
@click.command()
@click.option("--workers", type=int, default=None, help="Web worker processes (default: config).")
@click.option("--role", type=click.Choice(list(ROLES)), default=None,
              help="What this node runs (default: [serve] role, \"all\"): "
              + "; ".join(f"{k}: {v}" for k, v in ROLES.items()))
@click.option("--watch", "watch_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder a --role watch node watches (required there).")
@handles_errors
def serve(workers: int | None, role: str | None, watch_dir: Path | None) -> None:
    """Serve the web application, run the TAP job workers or watch a folder (--role)."""
    settings = read_settings()
    role = role or settings.serve.role
    if role not in ROLES:
        fail(f"[serve] role must be one of {', '.join(ROLES)}, not {role!r}")
    if (role == "watch") != (watch_dir is not None):
        fail("--watch DIR goes with --role watch, and only with it")
    database = started_database(settings)
    upgrade(database)
    env = _child_env(settings, database, role)
    if role == "jobs":
        _serve_jobs(settings)
    elif role == "watch":
        click.echo(f"soxsvo: watch node on {watch_dir}", err=True)
        _run_restarting([sys.executable, "-m", "soxsvo.cli", "watch", str(watch_dir)], env,
                        "soxsvo watch", own_group=True)
    else:
        workers = workers or settings.workers
        click.echo(f"soxsvo: serving {settings.public_url} ({workers} workers, role {role})",
                   err=True)
        # Everything else (threads, timeouts, preloading, the UWS job workers, which the
        # gunicorn master forks and stops) is in soxsvo.web.gunicorn_conf, read from the same
        # settings and the role.
        # Left by a node of this host and port that was killed while it drained.
        drain_file(settings).parent.mkdir(parents=True, exist_ok=True)
        drain_file(settings).unlink(missing_ok=True)
        command = [sys.executable, "-m", "gunicorn", "--config",
                   "python:soxsvo.web.gunicorn_conf", "--workers", str(workers)]
        _run_restarting(command, env, "the gunicorn master",
                        drain=(drain_file(settings), settings.serve.drain_seconds))


def _child_env(settings: Settings, database: Database, role: str) -> dict[str, str]:
    """The environment of the processes ``soxsvo serve`` starts: settings and role."""
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path))
    if database.cluster is not None:
        env["SOXSVO_DATABASE_URL"] = database.conninfo
    # numba's on-disk cache of the compiled BINARY2 loop: compiled at the first start, loaded
    # at the next ones, in the data dir whether or not the package's own folder is writable.
    env.setdefault("NUMBA_CACHE_DIR", str(settings.data_path / "cache" / "numba"))
    env[ROLE_ENV] = role
    return env


def _serve_jobs(settings: Settings) -> None:
    """Be the UWS job-worker supervisor until SIGTERM/SIGINT, which drains the workers.

    Why this process and not a child: a job node has nothing else to run, and its service
    manager (systemd) then sees the supervisor itself; a running job ends in ERROR with the
    restart message when its worker stops, as under ``--role all``.
    """
    from soxsvo.tap.uws.worker import run_supervisor

    click.echo(f"soxsvo: job node, {settings.tap.job_workers} UWS job workers", err=True)
    run_supervisor(settings, settings.tap.job_workers)


def _run_restarting(command: list[str], env: dict[str, str], what: str,
                    drain: tuple[Path, float] | None = None, own_group: bool = False) -> None:
    """Run ``command`` until it ends by itself; start it again when a signal killed it.

    ``drain``: on our SIGTERM/SIGINT, create this file and wait so many seconds before
    passing the signal on (``/health/ready`` answers 503 meanwhile). ``own_group``: run it in
    a process group of its own, killed whole once it has ended.
    """
    while True:
        child = subprocess.Popen(command, env=env, process_group=0 if own_group else None)
        try:
            code = child.wait()
        finally:
            # SIGTERM/SIGINT arrive here as SystemExit: pass them on, then let the cluster stop.
            if child.poll() is None:
                if drain is not None:
                    _drain(*drain)
                child.terminate()
                child.wait(timeout=120)
            if drain is not None:
                drain[0].unlink(missing_ok=True)
            if own_group:
                # Why: `soxsvo watch` killed with kill -9 left its multiprocessing forkserver
                # and resource tracker running, orphaned, beside its replacement's.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        # Why only after a signal: gunicorn (or watch) ends by itself (code >= 0) on SIGTERM
        # or when it cannot start, and then so do we; one killed (kill -9, the OOM killer, a
        # crash) is started again, with the same cluster, as its children end with it.
        if code >= 0:
            return
        click.echo(f"soxsvo: {what} ended by signal {-code}; starting it again", err=True)
        time.sleep(RESTART_DELAY)


def _drain(path: Path, seconds: float) -> None:
    """Say "draining" (the file) for ``seconds`` while still serving; a second signal cuts it
    short."""
    path.touch()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(seconds)


# -- health --------------------------------------------------------------------------------
@click.command()
@click.option("--role", type=click.Choice(["web", "jobs"]), required=True,
              help="web: this node's /health/ready; jobs: live job workers in the database.")
@click.option("--url", default=None, help="Base URL of the web node (default: public URL).")
@handles_errors
def health(role: str, url: str | None) -> None:
    """Exit 0 when the role's nodes are healthy, 1 (with the reason) when not."""
    settings = read_settings()
    problem = _web_problem(url or settings.public_url) if role == "web" else _jobs_problem(settings)
    if problem:
        click.echo(f"soxsvo: unhealthy: {problem}", err=True)
        sys.exit(1)
    click.echo("ok")


def _web_problem(url: str) -> str | None:
    import requests

    try:
        answer = requests.get(f"{url.rstrip('/')}/health/ready", timeout=10)
    except requests.RequestException as exc:
        return f"{url} does not answer: {exc}"
    return None if answer.ok else f"{url}/health/ready answered {answer.status_code}"


def _jobs_problem(settings: Settings) -> str | None:
    """Why the job nodes fail (no live worker heartbeat; queued jobs nobody runs), or None."""
    import psycopg

    from soxsvo.tap.uws.jobs import queue_state

    # Job nodes report through the database: a worker's control connection and heartbeat.
    try:
        with psycopg.connect(Database(settings).conninfo, autocommit=True,
                             connect_timeout=10) as conn:
            state = queue_state(conn)
    except psycopg.Error as exc:
        return f"database: {str(exc).strip()}"
    if state["live_workers"] == 0:
        return f"no live UWS job worker ({state['queued']} jobs queued)"
    return None


# -- demo ------------------------------------------------------------------------------------
@click.command()
@click.option("--transients", type=int, default=None,
              help="Number of transients (default: config).")
@click.option("--seed", type=int, default=None, help="Random seed (default: config).")
@click.option("--images", type=int, default=None,
              help="Acquisition images to register (default: config).")
@handles_errors
def demo(transients: int | None, seed: int | None, images: int | None) -> None:
    """Fill the database with a deterministic SOXS-like demo archive."""
    from soxsvo.archive.register import ArchiveConfig
    from soxsvo.demo.archive import build_demo_archive
    from soxsvo.observing.config import ObservingConfig

    settings = read_settings()
    database = started_database(settings)
    upgrade(database)
    size = transients or settings.demo.transients
    with database.connect() as conn:
        result = build_demo_archive(
            conn, ArchiveConfig.from_settings(settings), n_transients=size,
            seed=settings.demo.seed if seed is None else seed,
            workdir=settings.data_path / "demo-work",
            images=settings.demo.images if images is None else images,
            observing=ObservingConfig.from_settings(settings),
        )
    click.echo(result.message)


