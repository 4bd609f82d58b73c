"""``soxsvo serve`` and ``soxsvo demo``: run the service, fill a demo archive."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import click

from soxsvo.cli.common import handles_errors, read_settings, started_database, upgrade

#: Seconds before a killed gunicorn master is started again (its workers need about a second to
#: see that it is gone and let go of the port).
RESTART_DELAY = 2.0


# -- serve -----------------------------------------------------------------------------------
@click.command()
@click.option("--workers", type=int, default=None, help="Web worker processes (default: config).")
@handles_errors
def serve(workers: int | None) -> None:
    """Serve the web application and run the TAP job workers."""
    settings = read_settings()
    database = started_database(settings)
    upgrade(database)
    workers = workers or settings.workers
    click.echo(f"soxsvo: serving {settings.public_url} ({workers} workers)", err=True)
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path))
    if database.cluster is not None:
        env["SOXSVO_DATABASE_URL"] = database.conninfo
    # numba's on-disk cache of the compiled BINARY2 loop: compiled at the first start, loaded
    # at the next ones, in the data dir whether or not the package's own folder is writable.
    env.setdefault("NUMBA_CACHE_DIR", str(settings.data_path / "cache" / "numba"))
    # Everything else (threads, timeouts, preloading, the UWS job workers, which the gunicorn
    # master forks and stops) is in soxsvo.web.gunicorn_conf, read from the same settings.
    command = [sys.executable, "-m", "gunicorn", "--config", "python:soxsvo.web.gunicorn_conf",
               "--workers", str(workers)]
    while True:
        server = subprocess.Popen(command, env=env)
        try:
            code = server.wait()
        finally:
            # SIGTERM/SIGINT arrive here as SystemExit: pass them on, then let the cluster stop.
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=60)
        # Why only after a signal: gunicorn ends by itself (code >= 0) on SIGTERM or when it
        # cannot start, and then so do we; a master killed (kill -9, the OOM killer, a crash)
        # is started again, with the same cluster, as its web and job workers end with it.
        if code >= 0:
            return
        click.echo(f"soxsvo: the gunicorn master ended by signal {-code}; starting it again",
                   err=True)
        time.sleep(RESTART_DELAY)


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


