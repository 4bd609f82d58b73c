"""``soxsvo adql``: the SQL an ADQL query becomes, or where it is wrong.

:func:`explain_main` returns what to print and the exit status; it touches the database
only when given a connection and asked for ``EXPLAIN``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from soxsvo.adql.errors import ADQLError
from soxsvo.adql.translate.translator import translate
from soxsvo.cli.common import USAGE_ERROR, handles_errors, read_settings, started_database
from soxsvo.db.metadata import TableMeta, published_tables


def caret(text: str, line: int | None, column: int | None) -> str:
    """The offending line of ``text`` with a ``^`` under ``column`` (empty if unknown)."""
    if line is None or column is None:
        return ""
    lines = text.splitlines() or [""]
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return f"{source}\n{' ' * (column - 1)}^"


def explain_main(
    query: str,
    schema: Iterable[TableMeta] | None = None,
    conn=None,
    explain: bool = False,
) -> tuple[str, int]:
    """Translate ``query`` and format the SQL, or the error with a caret.

    Parameters
    ----------
    query : str
        ADQL text.
    schema : iterable of TableMeta, optional
        Tables to resolve names against; default: every published table.
    conn : psycopg.Connection, optional
        Needed for ``explain``.
    explain : bool
        Also run ``EXPLAIN`` on the SQL and append the plan.

    Returns
    -------
    (str, int)
        Text to print and exit status (0 ok, 1 ADQL error, 2 database error).
    """
    try:
        result = translate(query, published_tables() if schema is None else schema)
    except ADQLError as exc:
        where = caret(query, exc.line, exc.column)
        return (f"{type(exc).__name__}: {exc}" + (f"\n{where}" if where else "")), 1
    out = [result.sql]
    if result.params:
        out.append("-- parameters: " + ", ".join(f"{k}={v!r}" for k, v in result.params.items()))
    out.append("-- columns: " + ", ".join(
        f"{c.name} ({c.datatype}{'[' + c.arraysize + ']' if c.arraysize else ''}"
        f"{', ' + c.xtype if c.xtype else ''})" for c in result.columns))
    if explain:
        if conn is None:
            return "\n".join(out) + "\n-- EXPLAIN needs a database connection", 2
        try:
            rows = conn.execute("EXPLAIN " + result.sql, result.params).fetchall()
        except Exception as exc:  # noqa: BLE001 - any database failure is reported as text
            return "\n".join(out) + f"\n-- EXPLAIN failed: {exc}", 2
        out.extend(r[0] for r in rows)
    return "\n".join(out), 0


@click.command()
@click.argument("query")
@click.option("--explain", is_flag=True, help="Also show PostgreSQL's query plan.")
@handles_errors
def adql(query: str, explain: bool) -> None:
    """Show the SQL an ADQL query becomes (or where it is wrong)."""
    conn = None
    if explain:
        conn = started_database(read_settings()).connect()
    text, code = explain_main(query, published_tables(), conn=conn, explain=explain)
    click.echo(text, err=code != 0)
    # A wrong query is bad input like any other: exit code 2 (the helper says 1 or 2).
    sys.exit(USAGE_ERROR if code else 0)
