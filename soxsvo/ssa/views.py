"""The ``/ssa`` blueprint: thin views over params, query, response and getdata."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request, send_file

from soxsvo.access import begin_as_reader
from soxsvo.dali.blueprint import dal_blueprint, request_params, streamed, vosi_routes
from soxsvo.dali.streaming import open_result
from soxsvo.errors import InputError
from soxsvo.formats import QueryStatus
from soxsvo.ssa.capability import capabilities_document
from soxsvo.ssa.getdata import find_spectrum, parse_getdata, spectrum_votable
from soxsvo.ssa.params import METADATA, parse_format, parse_query
from soxsvo.ssa.query import access_values, stream_spectra
from soxsvo.ssa.response import metadata_document, response_writer, results_document
from soxsvo.web.context import checkout, connection, current_identity, current_settings

blueprint = dal_blueprint("ssa", __name__, url_prefix="/ssa")


@blueprint.route("", methods=["GET", "POST"])
def ssa() -> Response:
    """SSA 1.1: ``REQUEST=queryData`` finds spectra, ``REQUEST=getData`` returns one."""
    params = request_params(request)
    operation = (params.get("REQUEST") or "").strip().lower()
    if operation == "querydata":
        return _query_data(params)
    if operation == "getdata":
        return _get_data(params)
    if not operation:
        raise InputError("parameter REQUEST is missing; use REQUEST=queryData or "
                         "REQUEST=getData")
    raise InputError(f"REQUEST={params.get('REQUEST')} is not supported; use REQUEST=queryData "
                     "or REQUEST=getData")


def _votable_response(body: Iterator[bytes], writer) -> Response:
    response = Response(body, mimetype=writer.mime_type)
    response.headers["Content-Disposition"] = 'inline; filename="ssa.vot"'
    return response


def _query_data(params) -> Response:
    settings = current_settings()
    response_format = params.get("RESPONSEFORMAT")
    writer = response_writer(response_format)
    if parse_format(params.get("FORMAT")) == METADATA:
        return _votable_response(metadata_document(
            settings.public_url, settings.ssa.maxrec_default, response_format), writer)
    query = parse_query(params, settings.ssa.maxrec_default, settings.ssa.maxrec_hard)
    status = QueryStatus()

    def start(conn):
        begin_as_reader(conn, settings.query.sync_timeout, current_identity())
        return stream_spectra(conn, query, settings.public_url, status)

    def render(batches):
        return results_document(batches, status, settings.public_url, query.echo,
                                response_format)

    conn, release = checkout()
    return streamed(open_result(conn, release, start, render, mime_type=writer.mime_type,
                                filename="ssa.vot"))


def _get_data(params) -> Response:
    settings = current_settings()
    pubdid, fmt = parse_getdata(params)
    with connection() as conn:
        begin_as_reader(conn, settings.query.sync_timeout, current_identity())
        try:
            stored = find_spectrum(conn, pubdid)
        finally:
            conn.rollback()
    record = stored.record
    if fmt == "fits":
        response = send_file(stored.path, mimetype="application/fits", as_attachment=True,
                             download_name=f"{record.dp_id}.fits", etag=stored.sha256,
                             conditional=True, max_age=86400)
        return response
    acref = access_values("votable", record.dp_id, record.pubdid, None, None,
                          settings.public_url)[0]
    writer = response_writer(params.get("RESPONSEFORMAT") or "votable")
    body = spectrum_votable(stored, acref, params.get("RESPONSEFORMAT") or "votable")
    response = Response(body, mimetype=writer.mime_type)
    response.headers["Content-Disposition"] = f'inline; filename="{record.dp_id}.vot"'
    # The VOTable is derived from the archived file: it changes only when the file does.
    response.set_etag(f"{stored.sha256}-sdm")
    return response


vosi_routes(blueprint, lambda: capabilities_document(current_settings().public_url,
                                                      current_settings().ssa))
