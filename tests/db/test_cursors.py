"""named_cursor: a connection lost after the last row does not break a complete answer."""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.db.cursors import named_cursor


def _terminate(conninfo: str, pid: int) -> None:
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_lost_connection_at_close_keeps_the_rows(db_conninfo: str) -> None:
    conn = psycopg.connect(db_conninfo)
    try:
        with named_cursor(conn, "rows") as cursor:
            cursor.execute("SELECT generate_series(1, 5)")
            rows = cursor.fetchall()
            _terminate(db_conninfo, conn.info.backend_pid)
        assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
        # The connection really is gone (closing a plain cursor now raises).
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()


def test_errors_inside_the_block_still_raise(db_conninfo: str) -> None:
    with (psycopg.connect(db_conninfo) as conn, pytest.raises(psycopg.errors.DivisionByZero),
          named_cursor(conn, "bad") as cursor):
        cursor.execute("SELECT 1 / 0")
        cursor.fetchall()
