"""The ``soxsvo`` command: thin wrappers over the packages, one line of help each.

Every failure a user can cause (bad configuration, no PostgreSQL, an invalid file) ends with a
one-line message on stderr and exit code 2; nothing here holds logic of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from soxsvo.config import ConfigError, Settings, load_settings
from soxsvo.db import ClusterError, Database, DatabaseError

USAGE_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"soxsvo: error: {message}", err=True)
    sys.exit(USAGE_ERROR)


def handles_errors(command: Callable) -> Callable:
    """Turn the domain's expected errors into a message and exit code 2."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        from soxsvo.pipeline.register import RegistrationError

        try:
            return command(*args, **kwargs)
        except (ConfigError, ClusterError, DatabaseError, RegistrationError) as exc:
            _fail(str(exc))

    return wrapper


def _settings() -> Settings:
    return load_settings()


def _started_database(settings: Settings) -> Database:
    from soxsvo.db.cluster import exit_on_signals

    exit_on_signals()
    return Database(settings).start()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="soxsvo")
def main() -> None:
    """soxsvo: the SOXS archive, its VO services and the transient Marshall."""


# -- serve -----------------------------------------------------------------------------------
@main.command()
@click.option("--workers", type=int, default=None, help="Web worker processes (default: config).")
@handles_errors
def serve(workers: int | None) -> None:
    """Serve the web application and run the TAP job workers."""
    settings = _settings()
    database = _started_database(settings)
    _upgrade(database)
    workers = workers or settings.workers
    bind = f"{settings.host}:{settings.port}"
    click.echo(f"soxsvo: serving {settings.public_url} ({workers} workers)", err=True)
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path))
    if database.cluster is not None:
        env["SOXSVO_DATABASE_URL"] = database.conninfo
    # Threaded workers: a blocking UWS WAIT or a long sync query holds a thread, not a process;
    # the worker timeout must outlast the longest sync query and WAIT (60 s).
    timeout = max(settings.query["sync_timeout"], 60) + 30
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", bind,
               "--worker-class", "gthread", "--threads", "8", "--timeout", str(timeout),
               "--access-logfile", "-", "--graceful-timeout", "10", "soxsvo.web.wsgi:app"]
    from soxsvo.tap.uws.worker import start_workers, stop_workers

    job_workers = start_workers(load_settings(env), settings.tap["job_workers"])
    server = subprocess.Popen(command, env=env)
    try:
        server.wait()
    finally:
        # SIGTERM/SIGINT arrive here as SystemExit: pass them on, then let the cluster stop.
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        stop_workers(job_workers)


# -- demo ------------------------------------------------------------------------------------
@main.command()
@click.option("--transients", type=int, default=None,
              help="Number of transients (default: config).")
@click.option("--seed", type=int, default=None, help="Random seed (default: config).")
@click.option("--images", type=int, default=None,
              help="Acquisition images to register (default: config).")
@handles_errors
def demo(transients: int | None, seed: int | None, images: int | None) -> None:
    """Fill the database with a deterministic SOXS-like demo archive."""
    from soxsvo.demo.archive import build_demo_archive
    from soxsvo.pipeline.register import ArchiveConfig

    settings = _settings()
    database = _started_database(settings)
    _upgrade(database)
    size = transients or settings.demo["transients"]
    with database.connect() as conn:
        result = build_demo_archive(
            conn, ArchiveConfig.from_settings(settings), n_transients=size,
            seed=settings.demo["seed"] if seed is None else seed,
            workdir=settings.data_path / "demo-work",
            images=settings.demo["images"] if images is None else images,
        )
    click.echo(result.message)


# -- db --------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Create, upgrade and inspect the database."""


def _upgrade(database: Database) -> list:
    from soxsvo.db import migrations

    with database.connect() as conn:
        return migrations.upgrade(conn)


@db.command("init")
@handles_errors
def db_init() -> None:
    """Create the private cluster if needed and apply every migration."""
    database = _started_database(_settings())
    applied = _upgrade(database)
    click.echo(f"database ready ({len(applied)} migrations applied now)")


@db.command("upgrade")
@handles_errors
def db_upgrade() -> None:
    """Apply pending SQL migrations from sql/ and refresh TAP_SCHEMA."""
    database = _started_database(_settings())
    applied = _upgrade(database)
    for migration in applied:
        click.echo(f"applied {migration.name}")
    click.echo("schema is current" if not applied else f"{len(applied)} migrations applied")


@db.command("status")
@handles_errors
def db_status() -> None:
    """Show where the database is, its schema version and what it holds."""
    from soxsvo.archive_summary import archive_summary
    from soxsvo.db import migrations

    settings = _settings()
    database = _started_database(settings)
    where = f"private cluster in {database.cluster.pgdata}" if database.managed else "external"
    with database.connect() as conn:
        pending = migrations.pending_migrations(conn)
        done = migrations.applied_versions(conn)
        click.echo(f"database: {where}")
        click.echo(f"schema version: {max(done) if done else 0}, pending: {len(pending)}")
        if not pending and done:
            summary = archive_summary(conn)
            click.echo(f"transients: {summary.transients}, observations: "
                       f"{summary.observations}, spectra: {summary.spectra}")


@db.command("check")
@handles_errors
def db_check() -> None:
    """Remove store files without their row; list rows without their file (exit 2)."""
    from soxsvo.pipeline.register import ArchiveConfig
    from soxsvo.pipeline.store import check_store

    settings = _settings()
    database = _started_database(settings)
    with database.connect() as conn:
        result = check_store(conn, ArchiveConfig.from_settings(settings).store)
    for path in result.orphans_removed:
        click.echo(f"removed {path}: no row references it")
    for did, path in result.missing:
        click.echo(f"missing file {path} of {did}", err=True)
    click.echo(result.line)
    sys.exit(0 if result.ok else USAGE_ERROR)


@db.command("shell")
@handles_errors
def db_shell() -> None:
    """Open psql on the soxsvo database."""
    database = _started_database(_settings())
    psql = subprocess.run(["psql", database.conninfo], check=False)
    sys.exit(psql.returncode)


# -- products --------------------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None,
              help="Processes that checksum and validate (default: CPUs).")
@handles_errors
def ingest(paths: tuple[Path, ...], workers: int | None) -> None:
    """Validate and register Phase 3 products (files or folders) in the archive."""
    from soxsvo.pipeline.ingest import ingest_paths
    from soxsvo.pipeline.register import ArchiveConfig

    settings = _settings()
    database = _started_database(settings)
    config = ArchiveConfig.from_settings(settings)

    def report(outcome) -> None:
        click.echo(outcome.line, err=outcome.status == "rejected")

    summary = ingest_paths(database.connect, paths, config, workers=workers, report=report)
    click.echo(summary.line)
    sys.exit(summary.exit_code)


@main.command()
@click.argument("reduced", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--raw", "raw_dirs", multiple=True, type=click.Path(path_type=Path),
              help="Folder of the raw frames the products name (repeatable).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder the Phase 3 products are written to.")
@click.option("--barycentric/--topocentric", default=False,
              help="Correct wavelengths to the barycentre (SPECSYS BARYCENT).")
@click.option("--input-air/--input-vacuum", "input_air", default=True,
              help="Whether soxspipe's wavelengths are in air (default) or vacuum.")
@click.option("--no-merge", is_flag=True, help="Do not write the merged UV-VIS+NIR spectrum.")
@handles_errors
def package(reduced: tuple[Path, ...], raw_dirs: tuple[Path, ...], out_dir: Path,
            barycentric: bool, input_air: bool, no_merge: bool) -> None:
    """Turn soxspipe SCI_SLIT_FLUX products into ESO Phase 3 spectra."""
    from soxsvo.pipeline.package import PackageError, package_reduced

    try:
        written = package_reduced(list(reduced), out_dir, raw_dirs=list(raw_dirs),
                                  barycentric=barycentric, input_air=input_air,
                                  merge=not no_merge)
    except PackageError as exc:
        _fail(str(exc))
    for product in written:
        click.echo(f"{product.path}: {product.summary}")
    click.echo(f"{len(written)} Phase 3 products written to {out_dir}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--settle", type=float, default=1.0, show_default=True,
              help="Seconds a file's size must stay unchanged before it is registered.")
@click.option("--workers", type=int, default=None, help="Validation processes (default: CPUs).")
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Raw folder to reduce with the [pipeline] command (read-only).")
@handles_errors
def watch(directory: Path, settle: float, workers: int | None, raw_dir: Path | None) -> None:
    """Register every product that appears in DIRECTORY (done/ and rejected/ beside)."""
    from soxsvo.pipeline.reduce import ReductionConfig, ReductionHook
    from soxsvo.pipeline.register import ArchiveConfig
    from soxsvo.pipeline.watch import Watcher

    settings = _settings()
    reduction = ReductionConfig.from_settings(settings)
    if raw_dir is not None and not reduction.command:
        _fail("--raw needs a reduction command: set [pipeline] command in the configuration")
    if raw_dir is not None and raw_dir.resolve() == directory.resolve():
        _fail("--raw must not be the watched folder: the raw folder is only ever read")
    database = _started_database(settings)
    watcher = Watcher(directory, ArchiveConfig.from_settings(settings), database.connect,
                      settle=settle, workers=workers,
                      report=lambda line: click.echo(line, err=False))
    hook = None
    if raw_dir is not None:
        hook = ReductionHook(raw_dir, reduction, database.connect, directory,
                             report=lambda line: click.echo(line, err=False)).start()
    click.echo(f"soxsvo: watching {directory} (Ctrl-C to stop)", err=True)
    try:
        watcher.run_forever()
    finally:
        if hook is not None:
            hook.stop()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Report as JSON.")
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check products against ESO's Phase 3 rules and report every violation."""
    from soxsvo.pipeline.validate import main as validate_main

    sys.exit(validate_main([str(p) for p in paths], as_json=as_json))


@main.command()
@click.argument("query")
@click.option("--explain", is_flag=True, help="Also show PostgreSQL's query plan.")
@handles_errors
def adql(query: str, explain: bool) -> None:
    """Show the SQL an ADQL query becomes (or where it is wrong)."""
    from soxsvo.adql.cli import explain_main
    from soxsvo.db.metadata import published_tables

    conn = None
    if explain:
        conn = _started_database(_settings()).connect()
    text, code = explain_main(query, published_tables(), conn=conn, explain=explain)
    click.echo(text, err=code != 0)
    # A wrong query is bad input like any other: exit code 2 (the helper says 1 or 2).
    sys.exit(USAGE_ERROR if code else 0)


# -- alerts and catalogues (the Marshall) ---------------------------------------------------
@main.group()
def alerts() -> None:
    """Ingest survey alerts (ZTF, LSST, TNS, ATLAS, Gaia, GCN) into the Marshall."""


@alerts.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", type=click.Choice(["ztf", "lsst", "tns", "atlas", "gaia", "gcn"]),
              default=None, help="Format of every file (default: recognised per file).")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Consumer processes, each reading and storing a share of the files.")
@handles_errors
def alerts_ingest(paths: tuple[Path, ...], source: str | None, workers: int) -> None:
    """Ingest alert files and folders; unreadable files are named and skipped (exit 2)."""
    from soxsvo.marshall.ingest import IngestConfig, ingest_paths
    from soxsvo.marshall.ingest.service import ingest_paths_parallel

    settings = _settings()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    database = _started_database(settings)
    config = IngestConfig.from_settings(settings)
    if workers > 1:
        summary = ingest_paths_parallel(database.conninfo, paths, config, source, workers)
        for line in summary.errors:
            click.echo(f"soxsvo: rejected {line}", err=True)
    else:
        with database.connect() as conn:
            summary = ingest_paths(conn, paths, config, source,
                                   report=lambda line: click.echo(f"soxsvo: rejected {line}",
                                                                  err=True))
    click.echo(summary.line)
    sys.exit(summary.exit_code)


@main.group()
def catalog() -> None:
    """Load context catalogues (galaxies, stars, AGN, variables) for cross-matching."""


@catalog.command("load")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["galaxy", "star", "agn", "variable"]),
              default="galaxy", show_default=True, help="What the catalogue's objects are.")
@click.option("--ra", default=None, help="RA column (degrees; default: guessed).")
@click.option("--dec", default=None, help="Dec column (degrees; default: guessed).")
@click.option("--id", "id_column", default=None, help="Identifier column (default: guessed).")
@click.option("--z", default=None, help="Redshift column (default: guessed).")
@click.option("--mag", default=None, help="Magnitude column (default: guessed).")
@handles_errors
def catalog_load(name: str, file: Path, kind: str, ra: str | None, dec: str | None,
                 id_column: str | None, z: str | None, mag: str | None) -> None:
    """Load catalogue NAME from FILE (FITS or CSV), replacing an earlier load of NAME."""
    from soxsvo.marshall.context import CatalogError, load_catalog

    database = _started_database(_settings())
    with database.connect() as conn:
        try:
            loaded = load_catalog(conn, name, file, kind=kind, ra=ra, dec=dec, id=id_column,
                                  z=z, mag=mag)
        except CatalogError as exc:
            _fail(str(exc))
    click.echo(loaded.message)


# -- samp ------------------------------------------------------------------------------------
def _samp_group() -> click.Group:
    from soxsvo.samp.cli import samp

    return samp


main.add_command(_samp_group(), "samp")


# -- marshall --------------------------------------------------------------------------------
def _marshall_group() -> click.Group:
    from soxsvo.marshall.cli import marshall

    return marshall


main.add_command(_marshall_group(), "marshall")


# -- user ------------------------------------------------------------------------------------
def _user_group() -> click.Group:
    from soxsvo.access.cli import user

    return user


main.add_command(_user_group(), "user")


if __name__ == "__main__":  # pragma: no cover
    main()
