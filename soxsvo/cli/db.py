"""``soxsvo db ...``: create, upgrade and inspect the database."""

from __future__ import annotations

import subprocess
import sys

import click

from soxsvo.cli.common import USAGE_ERROR, handles_errors, read_settings, started_database, upgrade


# -- db --------------------------------------------------------------------------------------
@click.group()
def db() -> None:
    """Create, upgrade and inspect the database."""


@db.command("init")
@handles_errors
def db_init() -> None:
    """Create the private cluster if needed and apply every migration."""
    database = started_database(read_settings())
    applied = upgrade(database)
    click.echo(f"database ready ({len(applied)} migrations applied now)")


@db.command("upgrade")
@handles_errors
def dbupgrade() -> None:
    """Apply pending SQL migrations from sql/ and refresh TAP_SCHEMA."""
    database = started_database(read_settings())
    applied = upgrade(database)
    for migration in applied:
        click.echo(f"applied {migration.name}")
    click.echo("schema is current" if not applied else f"{len(applied)} migrations applied")


@db.command("status")
@handles_errors
def db_status() -> None:
    """Show where the database is, its schema version and what it holds."""
    from soxsvo.archive.summary import archive_summary
    from soxsvo.db import migrations

    settings = read_settings()
    database = started_database(settings)
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
    from soxsvo.archive.register import ArchiveConfig
    from soxsvo.archive.store import check_store

    settings = read_settings()
    database = started_database(settings)
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
    database = started_database(read_settings())
    psql = subprocess.run(["psql", database.conninfo], check=False)
    sys.exit(psql.returncode)


