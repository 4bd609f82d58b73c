"""``soxsvo marshall ...``: the Marshall's commands (thin: logic is in the package)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click


@click.group()
def marshall() -> None:
    """The Marshall: workflow rules and upkeep."""


@marshall.command("rules")
@click.option("--now", "now_text", default=None,
              help="Evaluate the rules as of this ISO 8601 time (UTC if no zone; default now).")
def rules(now_text: str | None) -> None:
    """Apply the automatic workflow rules: wake snoozed, resurrect re-brightened, archive
    faded objects (see [marshall] in the configuration)."""
    from soxsvo.cli import _settings, _started_database, handles_errors
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
        settings = _settings()
        try:
            config = WorkflowConfig.from_settings(settings)
        except ConfigurationError as exc:
            click.echo(f"soxsvo: error: {exc}", err=True)
            sys.exit(2)
        database = _started_database(settings)
        with database.connect() as conn:
            report = apply_rules(conn, now, config)
        click.echo(report.message)

    run()
