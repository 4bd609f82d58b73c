"""``soxsvo table publish|list|describe|reindex|drop``: tables published through TAP (thin:
logic is in :mod:`soxsvo.tables`)."""

from __future__ import annotations

from pathlib import Path

import click

from soxsvo.cli.common import handles_errors, read_settings, started_database


@click.group()
def table() -> None:
    """Publish any table file through TAP (and the cone search when it has a position)."""


@table.command("publish")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--meta", "meta", type=click.Path(path_type=Path), default=None,
              help="Metadata TOML (the form of soxsvo/db/columns/*.toml).")
@click.option("--access", type=click.Choice(["public", "consortium"]), default="public",
              show_default=True, help="Who may read the rows.")
@click.option("--format", "fmt", type=click.Choice(["fits", "votable", "csv", "parquet"]),
              default=None, help="The file's format (default: from its name).")
@handles_errors
def publish(name: str, file: Path, meta: Path | None, access: str, fmt: str | None) -> None:
    """Load FILE into table NAME (SCHEMA.TABLE) and publish it, replacing an earlier one."""
    from soxsvo.tables.publish import publish_table
    from soxsvo.tables.source import file_format

    file_format(file, fmt)  # an unknown format fails before the database is started
    database = started_database(read_settings())
    loaded = [0]

    def progress(rows: int) -> None:
        loaded[0] += rows
        click.echo(f"\rloaded {loaded[0]:,} rows", nl=False, err=True)

    with database.connect() as conn:
        done = publish_table(conn, name, file, metadata=meta, access=access, fmt=fmt,
                             progress=progress)
    click.echo("", err=True)
    click.echo(done.message)


@table.command("list")
@handles_errors
def list_tables() -> None:
    """The published tables: name, rows, access, source file, when."""
    from soxsvo.tables.publish import listing

    with started_database(read_settings()).connect() as conn:
        for name, rows, access, source, when in listing(conn):
            click.echo(f"{name}\t{rows}\t{access}\t{source}\t{when:%Y-%m-%d %H:%M}")


@table.command("describe")
@click.argument("name")
@handles_errors
def describe(name: str) -> None:
    """The columns of table NAME: type, unit, UCD, description."""
    from soxsvo.tables.publish import describe as describe_table

    with started_database(read_settings()).connect() as conn:
        meta = describe_table(conn, name)
    click.echo(f"{meta.qualified_name}: {meta.description}")
    for column in meta.columns:
        click.echo(f"{column.name}\t{column.datatype}\t{column.unit or ''}\t"
                   f"{column.ucd or ''}\t{column.description or ''}")


@table.command("reindex")
@click.argument("name")
@handles_errors
def reindex(name: str) -> None:
    """Rebuild the indexes of table NAME, cluster and analyse it again."""
    from soxsvo.tables.publish import reindex_table

    with started_database(read_settings()).connect() as conn:
        reindex_table(conn, name)
    click.echo(f"reindexed {name}")


@table.command("drop")
@click.argument("name")
@handles_errors
def drop(name: str) -> None:
    """Remove table NAME from TAP and the database."""
    from soxsvo.tables.publish import drop_table

    with started_database(read_settings()).connect() as conn:
        drop_table(conn, name)
    click.echo(f"dropped {name}")
