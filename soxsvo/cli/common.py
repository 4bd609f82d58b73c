"""What every ``soxsvo`` command shares: settings, the started database, one error exit.

Every failure a user can cause (bad configuration, no PostgreSQL, an invalid file) is a
:class:`soxsvo.errors.SoxsvoError`; :func:`handles_errors` turns it into one line on stderr and
exit code 2, so no command formats an error of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps

import click

from soxsvo.config import Settings, load_settings
from soxsvo.db import Database
from soxsvo.errors import SoxsvoError

USAGE_ERROR = 2


def fail(message: str) -> None:
    """End the command with ``soxsvo: error: message`` on stderr and exit code 2."""
    click.echo(f"soxsvo: error: {message}", err=True)
    sys.exit(USAGE_ERROR)


def handles_errors(command: Callable) -> Callable:
    """Turn the domain's expected errors into a message and exit code 2."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SoxsvoError as exc:
            fail(str(exc))

    return wrapper


def read_settings() -> Settings:
    """The settings of this invocation (configuration file + ``SOXSVO_*`` variables)."""
    return load_settings()


def started_database(settings: Settings) -> Database:
    """The configured database, the private cluster started if that is what is configured."""
    from soxsvo.db.cluster import exit_on_signals

    exit_on_signals()
    return Database(settings).start()


def upgrade(database: Database) -> list:
    """Bring the database to this version of soxsvo (migrations, then TAP_SCHEMA)."""
    from soxsvo.tap.schema import upgrade_database

    with database.connect() as conn:
        return upgrade_database(conn)
