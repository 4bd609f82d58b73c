"""Numbered SQL migrations from ``soxsvo/db/sql/``, applied in order, each once, each in a
transaction; then the repeatable files of ``sql/repeatable/`` (functions: code, not history).

The SQL files are package data, read through :mod:`importlib.resources`, so an installed
wheel migrates as a checkout does. TAP_SCHEMA is derived from the column metadata by
:func:`soxsvo.tap.schema.upgrade_database`, which calls :func:`upgrade` first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg

# A real folder even from a wheel: setuptools installs package data as plain files.
SQL_DIR = Path(str(resources.files("soxsvo.db") / "sql"))
REPEATABLE_DIR = SQL_DIR / "repeatable"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

VERSION_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS public.soxsvo_migration (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    path: Path


def available_migrations(sql_dir: Path | None = None) -> list[Migration]:
    """The migrations in ``sql_dir`` (default ``soxsvo/db/sql/``), in order; a badly named file
    is an error, not ignored."""
    sql_dir = SQL_DIR if sql_dir is None else sql_dir
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named NNN_lower_case_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{sql_dir}: two migrations share a number")
    return found


def applied_versions(conn: psycopg.Connection) -> dict[int, str]:
    """Versions already applied to the database, with their names."""
    with conn.transaction():
        conn.execute(VERSION_TABLE_DDL)
    rows = conn.execute("SELECT version, name FROM public.soxsvo_migration ORDER BY version")
    return dict(rows.fetchall())


def pending_migrations(conn: psycopg.Connection) -> list[Migration]:
    """Migrations not yet applied."""
    done = applied_versions(conn)
    return [m for m in available_migrations() if m.version not in done]


def upgrade(conn: psycopg.Connection, sql_dir: Path | None = None) -> list[Migration]:
    """Apply every pending migration, then refresh comments and TAP_SCHEMA.

    Each migration runs in its own transaction together with its version row, so a failing
    file leaves the database at the previous version. Concurrent upgrades serialise on an
    advisory lock.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database (not in a transaction).
    sql_dir : Path, optional
        Folder of migration files; ``soxsvo/db/sql/`` by default.

    Returns
    -------
    list of Migration
        The migrations applied now (empty when the schema was current).
    """
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('soxsvo_migration'))")
        conn.execute(VERSION_TABLE_DDL)
        done = {row[0] for row in conn.execute("SELECT version FROM public.soxsvo_migration")}
        for migration in available_migrations(sql_dir):
            if migration.version in done:
                continue
            with conn.transaction():
                conn.execute(migration.path.read_text(encoding="utf-8"))
                conn.execute(
                    "INSERT INTO public.soxsvo_migration (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            applied.append(migration)
        apply_repeatable(conn)
    return applied


def apply_repeatable(conn: psycopg.Connection) -> None:
    """Run every file of ``sql/repeatable/`` in name order (``CREATE OR REPLACE``).

    The ADQL geometry functions are code, not schema history: re-created on every upgrade, so
    a new soxsvo version brings its own.
    """
    for path in sorted(REPEATABLE_DIR.glob("*.sql")):
        conn.execute(path.read_text(encoding="utf-8"))
