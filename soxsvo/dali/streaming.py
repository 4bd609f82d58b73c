"""A result streamed from a pooled connection: prefetch, stream, roll back, give back — once.

TAP sync and SSA queryData answer while rows are still being read: the view returns before the
connection is done. :func:`open_result` runs the query and reads the first batch *before* the
answer starts, so that a failing query still gets an error document with an HTTP error status;
the returned :class:`ResultStream` gives the connection back exactly once, whether its body ran
to the end, was closed early, or never started (the WSGI server still closes it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import psycopg

from soxsvo.errors import ServiceError, SoxsvoError

Release = Callable[[psycopg.Connection], None]


def give_back(conn: psycopg.Connection, release: Release) -> None:
    """Roll back whatever the connection holds and return it to its pool."""
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
    release(conn)


@dataclass
class ResultStream:
    """The bytes of an answer and the one way to end it (:meth:`close`).

    Attributes
    ----------
    mime_type : str
        Content type of the answer.
    filename : str
        Suggested file name (``Content-Disposition``).
    """

    conn: psycopg.Connection
    release: Release
    batches: Iterator
    first: object
    render: Callable[[Iterator], Iterable[bytes]]
    mime_type: str
    filename: str
    _closed: bool = field(default=False, init=False)

    def _all_batches(self) -> Iterator:
        if self.first is not None:
            yield self.first
        yield from self.batches

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.render(self._all_batches())
        finally:
            self.close()

    def close(self) -> None:
        """Give the connection back (idempotent). The batches go first: a COPY in progress
        holds the connection until it is closed."""
        if self._closed:
            return
        self._closed = True
        close_batches = getattr(self.batches, "close", None)
        if close_batches is not None:
            close_batches()
        give_back(self.conn, self.release)


def open_result(conn: psycopg.Connection, release: Release,
                start: Callable[[psycopg.Connection], Iterator],
                render: Callable[[Iterator], Iterable[bytes]], *, mime_type: str,
                filename: str,
                database_error: Callable[[psycopg.Error], SoxsvoError] | None = None,
                ) -> ResultStream:
    """Start a query on ``conn`` and return its answer as a stream.

    Parameters
    ----------
    conn, release : psycopg.Connection, callable
        A connection checked out of a pool, and how to give it back.
    start : callable
        Opens the transaction and returns the batches iterator (nothing read yet).
    render : callable
        Turns the batches into the bytes of the answer.
    mime_type, filename : str
        Of the answer.
    database_error : callable, optional
        Maps a database error of ``start`` or the first batch to a :class:`SoxsvoError`
        (default: :class:`ServiceError` with PostgreSQL's message).

    Raises
    ------
    SoxsvoError
        When the query fails before its first batch; the connection is given back first.
    """
    try:
        batches = start(conn)
        first = next(batches, None)
    except psycopg.Error as exc:
        give_back(conn, release)
        raise (database_error or _service_error)(exc) from None
    except BaseException:
        # Whatever else went wrong (a bad parameter found late, a bug), the connection
        # is never kept: 32 leaked connections are a denial of service.
        give_back(conn, release)
        raise
    return ResultStream(conn, release, batches, first, render, mime_type, filename)


def _service_error(exc: psycopg.Error) -> SoxsvoError:
    return ServiceError(f"the search failed: {exc.diag.message_primary or exc}")
