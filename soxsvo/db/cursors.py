"""Server-side cursors for streamed results."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

__all__ = ["named_cursor"]


@contextlib.contextmanager
def named_cursor(conn: psycopg.Connection, name: str) -> Iterator[psycopg.ServerCursor]:
    """A server-side cursor, closed at the end of the block.

    Why not ``with conn.cursor(name=...)``: closing it talks to the server, and a server
    shutting down after the last row was read made the close fail, turning a complete answer
    into a broken one (gunicorn's HTML 500 when the body had not started). A lost connection
    at close changes nothing for rows already read; any error inside the block still raises.
    """
    cursor = conn.cursor(name=name)
    try:
        yield cursor
    finally:
        with contextlib.suppress(psycopg.OperationalError):
            cursor.close()
