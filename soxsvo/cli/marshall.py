"""``soxsvo marshall|alerts|catalog``: the Marshall's commands (thin: logic is in the package)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from soxsvo.cli.common import fail, handles_errors, read_settings, started_database


@click.group()
def marshall() -> None:
    """The Marshall: workflow rules and upkeep."""


@marshall.command("rules")
@click.option("--now", "now_text", default=None,
              help="Evaluate the rules as of this ISO 8601 time (UTC if no zone; default now).")
def rules(now_text: str | None) -> None:
    """Apply the automatic workflow rules: wake snoozed, resurrect re-brightened, archive
    faded objects (see [marshall] in the configuration)."""
    from soxsvo.marshall.lists import ConfigurationError, WorkflowConfig
    from soxsvo.marshall.rules import apply_rules

    @handles_errors
    def run() -> None:
        now = None
        if now_text:
            try:
                now = datetime.fromisoformat(now_text)
            except ValueError:
                click.echo(f"soxsvo: error: --now {now_text!r} is not an ISO 8601 time",
                           err=True)
                sys.exit(2)
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        settings = read_settings()
        try:
            config = WorkflowConfig.from_settings(settings)
        except ConfigurationError as exc:
            click.echo(f"soxsvo: error: {exc}", err=True)
            sys.exit(2)
        database = started_database(settings)
        with database.connect() as conn:
            report = apply_rules(conn, now, config)
        click.echo(report.message)

    run()


@click.group()
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
    from soxsvo.marshall.ingest import IngestConfig, ingest_alert_paths
    from soxsvo.marshall.ingest.service import ingest_alert_paths_parallel

    settings = read_settings()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    started = datetime.now(UTC)
    database = started_database(settings)
    config = IngestConfig.from_settings(settings)
    if workers > 1:
        summary = ingest_alert_paths_parallel(database.conninfo, paths, config, source, workers)
        for line in summary.errors:
            click.echo(f"soxsvo: rejected {line}", err=True)
    else:
        with database.connect() as conn:
            summary = ingest_alert_paths(conn, paths, config, source,
                                   report=lambda line: click.echo(f"soxsvo: rejected {line}",
                                                                  err=True))
    click.echo(summary.line)
    if summary.events:
        _react_to_events(database, settings, started)
    sys.exit(summary.exit_code)


def _react_to_events(database, settings, started: datetime) -> None:
    """Re-plan tonight, or say which re-plan to run, for the events just ingested."""
    from soxsvo.observing.config import ObservingConfig
    from soxsvo.observing.triggers import events_since, react_to_events

    with database.connect() as conn:
        for reaction in react_to_events(conn, events_since(conn, started),
                                        ObservingConfig.from_settings(settings),
                                        datetime.now(UTC)):
            click.echo(f"night of {reaction.night}: {reaction.event} {reaction.action}: "
                       f"{reaction.detail}")


@click.group()
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

    database = started_database(read_settings())
    with database.connect() as conn:
        try:
            loaded = load_catalog(conn, name, file, kind=kind, ra=ra, dec=dec, id=id_column,
                                  z=z, mag=mag)
        except CatalogError as exc:
            fail(str(exc))
    click.echo(loaded.message)
