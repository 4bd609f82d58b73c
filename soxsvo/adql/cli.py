"""Text front end for the ``soxsvo adql`` command (wired by the owner of ``soxsvo/cli.py``).

:func:`explain_main` returns what to print and the exit status; it touches the database
only when given a connection and asked for ``EXPLAIN``.
"""

from __future__ import annotations

from collections.abc import Iterable

from soxsvo.db.metadata import TableMeta, published_tables

from .errors import ADQLError
from .translator import translate


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
