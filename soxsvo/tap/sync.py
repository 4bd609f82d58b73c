"""TAP 1.1 synchronous queries: validate parameters, run, stream the result as it is read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from flask import Response

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader
from soxsvo.dali import DALIError, DALIParams
from soxsvo.tap.binary_copy import binary_batches, pg_types
from soxsvo.tap.fair_use import take_sync_slot
from soxsvo.tap.query import (
    PreparedQuery,
    forbid_writes,
    prepare,
    query_error_message,
    stream_rows,
)

ACCEPTED_LANGS = {"ADQL", "ADQL-2.0", "ADQL-2.1"}


@dataclass(frozen=True)
class TapRequest:
    """The validated parameters of a TAP query (sync or async)."""

    query: str
    maxrec: int
    response_format: str | None
    runid: str | None


def parse_tap_request(params: DALIParams, tap_settings: dict) -> TapRequest:
    """Check LANG, REQUEST, QUERY, MAXREC and the format; raise DALIError saying what is wrong."""
    request = params.get("REQUEST")
    if request is not None and request.lower() != "doquery":
        raise DALIError(f"REQUEST={request} is not supported; use REQUEST=doQuery (or omit it)")
    lang = params.get("LANG")
    if lang is None:
        raise DALIError("parameter LANG is missing; use LANG=ADQL")
    if lang.upper() not in ACCEPTED_LANGS:
        raise DALIError(f"LANG={lang} is not supported; use one of {', '.join(ACCEPTED_LANGS)}")
    query = params.get("QUERY")
    if query is None or not query.strip():
        raise DALIError("parameter QUERY is missing or empty")
    maxrec = params.get_int("MAXREC", tap_settings["maxrec_default"])
    maxrec = min(maxrec, tap_settings["maxrec_hard"])
    fmt = params.get("RESPONSEFORMAT") or params.get("FORMAT")
    return TapRequest(query, maxrec, fmt, params.get("RUNID"))


def resolve_writer(name: str | None):
    """The writer of a RESPONSEFORMAT/FORMAT value (BINARY2 VOTable when absent)."""
    from soxsvo.formats import UnknownFormatError, resolve_format

    try:
        return resolve_format(name or "votable")
    except UnknownFormatError as exc:
        raise DALIError(str(exc)) from None


def _query_infos(query: PreparedQuery):
    from soxsvo.formats.info import query_infos

    return query_infos(query=query.adql_text)


def stream_query(conn: psycopg.Connection, release, tap: TapRequest, timeout_s: float,
                 uploads_loader=None, identity: Identity = ANONYMOUS,
                 sync_slot: tuple[str, int] | None = None) -> Response:
    """Run ``tap`` on ``conn`` and return a streaming response.

    The first batch is fetched before the response starts, so errors of the query itself
    (bad SQL, timeout before the first row) still become DALI error documents with an HTTP
    error status. ``release`` gives the connection back when the stream ends. Row-level
    security shows ``identity`` only the rows it may see. ``sync_slot`` (client, limit)
    caps the client's concurrent queries (429 beyond it, see :mod:`soxsvo.tap.fair_use`).
    """
    writer = resolve_writer(tap.response_format)
    try:
        begin_as_reader(conn, timeout_s, identity)
        if sync_slot is not None:
            take_sync_slot(conn, *sync_slot)
        uploads = uploads_loader(conn) if uploads_loader else ()
        forbid_writes(conn)
        prepared = prepare(tap.query, uploads)
        batches = result_batches(conn, prepared, tap.maxrec, writer)
        first = next(batches, None)
    except (DALIError, psycopg.Error) as exc:
        _rollback_and_release(conn, release)
        if isinstance(exc, DALIError):
            raise
        message, status = query_error_message(exc)
        raise DALIError(message, status) from None

    def all_batches() -> Iterator[list]:
        if first is not None:
            yield first
        yield from batches

    done = []

    def finish() -> None:
        # Once, whether the body ran to its end, was closed early or never started (the
        # WSGI server still closes the response). The batches generator goes first: a COPY
        # in progress holds the connection until it is closed.
        if not done:
            done.append(True)
            batches.close()
            _rollback_and_release(conn, release)

    def body() -> Iterator[bytes]:
        try:
            yield from writer.stream(prepared.columns, all_batches(),
                                     resource_infos=_query_infos(prepared),
                                     overflow=prepared.outcome)
        finally:
            finish()

    response = Response(body(), mimetype=writer.mime_type)
    response.call_on_close(finish)
    response.headers["Content-Disposition"] = (
        f'inline; filename="result.{writer.file_extension}"')
    return response


def result_batches(conn: psycopg.Connection, prepared: PreparedQuery, maxrec: int,
                   writer) -> Iterator:
    """Blocks of binary COPY rows when ``writer`` takes them and every column is a scalar or
    plain string (no Python object per value); psycopg row batches otherwise."""
    types = pg_types(prepared.columns, conn) if writer.accepts_pg_binary else None
    if types is not None:
        return binary_batches(conn, prepared, maxrec, types)
    return stream_rows(conn, prepared, maxrec)


def _rollback_and_release(conn: psycopg.Connection, release) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
    release(conn)
