"""``soxsvo night plan|replan|show``: the NTT night (thin: logic is in soxsvo.observing)."""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime

import click

from soxsvo.cli.common import fail, handles_errors, read_settings, started_database


def _night(text: str | None) -> date:
    from soxsvo.observing.night import current_night

    if text is None:
        return current_night(datetime.now(UTC))
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--date {text!r} is not a date (YYYY-MM-DD)")
        raise  # unreachable: fail exits


def _now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--now {text!r} is not an ISO 8601 time")
        raise
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _print_summary(summary: dict) -> None:
    click.echo(f"Night of {summary['night']}: version {summary['version']} of "
               f"{summary['current_version']}, by {summary['actor']} ({summary['reason']})")
    for block in summary["blocks"]:
        click.echo(f"  {block['start']:%H:%M}-{block['end']:%H:%M}  {block['target']:<16} "
                   f"{block['programme']:<11} {block['status']:<9} {block['reason']}")
    for item in summary["left_out"]:
        click.echo(f"  left out: {item['target']}: {item['reason']}")
    for item in summary["displaced"]:
        click.echo(f"  displaced: {item['target']}: {item['reason']}")


@click.group()
def night() -> None:
    """Plan, re-plan and show the NTT night (see [observing] in the configuration)."""


@night.command("plan")
@click.option("--date", "date_text", default=None,
              help="Night to plan, by the date of its evening (default: tonight).")
@handles_errors
def plan(date_text: str | None) -> None:
    """Plan a night from the Marshall's lists, the ESO targets and the fixed blocks."""
    from soxsvo.observing.config import ObservingConfig
    from soxsvo.observing.plans import night_summary, plan_night

    settings = read_settings()
    config = ObservingConfig.from_settings(settings)
    night_date = _night(date_text)
    with started_database(settings).connect() as conn:
        plan_night(conn, night_date, config, actor=getpass.getuser())
        _print_summary(night_summary(conn, night_date))


@night.command("replan")
@click.option("--date", "date_text", default=None, help="Night (default: tonight).")
@click.option("--too", "toos", multiple=True,
              help="Transient or event (its candidates) to observe at once; repeatable.")
@click.option("--reason", default=None, help="Why (default: the ToOs, or 're-plan').")
@click.option("--now", "now_text", default=None,
              help="Re-plan from this ISO 8601 time (UTC if no zone; default now).")
@handles_errors
def replan(date_text: str | None, toos: tuple[str, ...], reason: str | None,
           now_text: str | None) -> None:
    """Re-plan from now: keep what was observed, insert the ToOs, re-order the rest."""
    from soxsvo.observing.config import ObservingConfig
    from soxsvo.observing.plans import night_summary, replan_night

    settings = read_settings()
    config = ObservingConfig.from_settings(settings)
    night_date = _night(date_text)
    why = reason or (f"ToO {', '.join(toos)}" if toos else "re-plan")
    with started_database(settings).connect() as conn:
        replan_night(conn, night_date, config, actor=getpass.getuser(), reason=why,
                     now=_now(now_text), too=toos)
        _print_summary(night_summary(conn, night_date))


@night.command("show")
@click.option("--date", "date_text", default=None, help="Night (default: tonight).")
@click.option("--version", type=click.IntRange(min=1), default=None,
              help="Version of the plan (default: the current one).")
@handles_errors
def show(date_text: str | None, version: int | None) -> None:
    """Show a night's plan: its blocks and reasons, what was left out or displaced."""
    from soxsvo.observing.plans import night_summary

    settings = read_settings()
    night_date = _night(date_text)
    with started_database(settings).connect() as conn:
        _print_summary(night_summary(conn, night_date, version))


@night.command("record")
@click.option("--date", "date_text", default=None, help="Night (default: tonight).")
@handles_errors
def record(date_text: str | None) -> None:
    """Record the night's archived observations as executions of its plan's blocks."""
    from soxsvo.observing.plans import link_archive_observations

    settings = read_settings()
    night_date = _night(date_text)
    with started_database(settings).connect() as conn:
        links = link_archive_observations(conn, night_date, actor=getpass.getuser())
    for plan_obs_id, archive_obs_id in links:
        click.echo(f"{plan_obs_id} <- {archive_obs_id}")
    click.echo(f"{len(links)} observation(s) recorded for the night of {night_date}")
