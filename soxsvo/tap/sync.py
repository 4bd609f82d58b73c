"""TAP 1.1 synchronous queries: validate parameters, run, stream the result as it is read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader, forbid_writes
from soxsvo.dali.params import DALIParams
from soxsvo.dali.streaming import ResultStream, open_result
from soxsvo.db.metadata import all_tables
from soxsvo.errors import InputError, ServiceError, SoxsvoError
from soxsvo.formats import Writer, resolve_format
from soxsvo.tap.binary_copy import binary_batches, pg_types
from soxsvo.tap.fair_use import take_sync_slot
from soxsvo.tap.query import (
    PreparedQuery,
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
    #: The writer of RESPONSEFORMAT (checked here, before any connection is taken).
    writer: Writer
    runid: str | None


def parse_tap_request(params: DALIParams, tap_settings: dict) -> TapRequest:
    """Check LANG, REQUEST, QUERY, MAXREC and the format; raise InputError saying what is wrong."""
    request = params.get("REQUEST")
    if request is not None and request.lower() != "doquery":
        raise InputError(f"REQUEST={request} is not supported; use REQUEST=doQuery (or omit it)")
    lang = params.get("LANG")
    if lang is None:
        raise InputError("parameter LANG is missing; use LANG=ADQL")
    if lang.upper() not in ACCEPTED_LANGS:
        raise InputError(f"LANG={lang} is not supported; use one of {', '.join(ACCEPTED_LANGS)}")
    query = params.get("QUERY")
    if query is None or not query.strip():
        raise InputError("parameter QUERY is missing or empty")
    maxrec = params.get_int("MAXREC", tap_settings.maxrec_default)
    maxrec = min(maxrec, tap_settings.maxrec_hard)
    fmt = params.get("RESPONSEFORMAT") or params.get("FORMAT")
    return TapRequest(query, maxrec, resolve_writer(fmt), params.get("RUNID"))


def resolve_writer(name: str | None) -> Writer:
    """The writer of a RESPONSEFORMAT/FORMAT value (BINARY2 VOTable when absent); an unknown
    one raises :class:`soxsvo.formats.UnknownFormatError`, an InputError."""
    return resolve_format(name or "votable")


def _query_infos(query: PreparedQuery):
    from soxsvo.formats.info import query_infos

    return query_infos(query=query.adql_text)


def stream_query(conn: psycopg.Connection, release, tap: TapRequest, timeout_s: float,
                 uploads_loader=None, identity: Identity = ANONYMOUS,
                 sync_slot: tuple[str, int] | None = None) -> ResultStream:
    """Run ``tap`` on ``conn`` and return its result as a stream.

    The first batch is fetched before the answer starts, so errors of the query itself
    (bad SQL, timeout before the first row) still become DALI error documents with an HTTP
    error status. ``release`` gives the connection back when the stream ends, or at once when
    anything fails before it starts. Row-level security shows ``identity`` only the rows it
    may see. ``sync_slot`` (client, limit) caps the client's concurrent queries (429 beyond
    it, see :mod:`soxsvo.tap.fair_use`).
    """
    writer = tap.writer
    prepared: list[PreparedQuery] = []

    def start(conn: psycopg.Connection) -> Iterator:
        begin_as_reader(conn, timeout_s, identity)
        if sync_slot is not None:
            take_sync_slot(conn, *sync_slot)
        uploads = uploads_loader(conn) if uploads_loader else ()
        forbid_writes(conn)
        prepared.append(prepare(tap.query, uploads, conn, all_tables(conn)))
        return result_batches(conn, prepared[0], tap.maxrec, writer)

    def render(batches: Iterator) -> Iterator[bytes]:
        query = prepared[0]
        return writer.stream(query.columns, batches, resource_infos=_query_infos(query),
                             overflow=query.outcome)

    return open_result(conn, release, start, render, mime_type=writer.mime_type,
                       filename=f"result.{writer.file_extension}",
                       database_error=database_error)


def database_error(exc: psycopg.Error) -> SoxsvoError:
    """The DALI error of a database error during a query (400 for the query's fault)."""
    message, status = query_error_message(exc)
    return InputError(message) if status == 400 else ServiceError(message)


def result_batches(conn: psycopg.Connection, prepared: PreparedQuery, maxrec: int,
                   writer) -> Iterator:
    """Blocks of binary COPY rows when ``writer`` takes them and every column is a scalar or
    plain string (no Python object per value); psycopg row batches otherwise."""
    types = pg_types(prepared.columns, conn) if writer.accepts_pg_binary else None
    if types is not None:
        return binary_batches(conn, prepared, maxrec, types)
    return stream_rows(conn, prepared, maxrec)
