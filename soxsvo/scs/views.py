"""The ``/scs/<schema.table>`` blueprint: thin views over tables, params and query."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request

from soxsvo.access import begin_as_reader, forbid_writes
from soxsvo.dali.blueprint import VOTABLE_MIME, dal_blueprint, request_params, streamed
from soxsvo.dali.streaming import open_result
from soxsvo.dali.vosi import database_availability
from soxsvo.db.metadata import all_tables
from soxsvo.errors import LimitError, SoxsvoError, http_status
from soxsvo.formats import Info, error_document, resolve_format
from soxsvo.scs.capability import capabilities
from soxsvo.scs.params import parse_cone
from soxsvo.scs.query import prepare_cone, stream_cone
from soxsvo.scs.tables import ConeTable, cone_table
from soxsvo.tap.sync import database_error
from soxsvo.web.context import checkout, connection, current_identity, current_settings

blueprint = dal_blueprint("scs", __name__, url_prefix="/scs")
#: TABLEDATA: SCS 1.03 predates BINARY2, and every cone search client reads TABLEDATA.
WRITER = resolve_format("votable/td")


@blueprint.errorhandler(SoxsvoError)
def scs_error(error: SoxsvoError) -> Response:
    """SCS 1.03 section 3: an error is a VOTable with ``INFO name="Error"`` (kept beside
    DALI's ``QUERY_STATUS=ERROR``). Bad input is answered with HTTP 200, as SCS 1.03 (older
    than DALI) has it: its clients read the error from the document (pyvo raises
    ``DALQueryError`` with the message, tested in tests/scs)."""
    status = http_status(error)
    message = str(error)
    body = error_document(message, infos=[Info("Error", message)])
    response = Response(body, status=200 if status == 400 else status, mimetype=VOTABLE_MIME)
    if isinstance(error, LimitError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _cone_table(name: str) -> ConeTable:
    """The cone table ``name`` among every published table, the operator's too."""
    with connection() as conn:
        return cone_table(name, all_tables(conn))


@blueprint.route("/<name>", methods=["GET", "POST"])
def cone_search(name: str) -> Response:
    """SCS 1.03: the rows of table ``name`` within SR degrees of (RA, DEC)."""
    settings = current_settings()
    table = _cone_table(name)
    cone = parse_cone(request_params(request), settings.scs.max_sr)
    maxrec = settings.scs.maxrec
    prepared = prepare_cone(table, cone, maxrec)

    def start(conn) -> Iterator:
        begin_as_reader(conn, settings.query.sync_timeout, current_identity())
        forbid_writes(conn)
        return stream_cone(conn, prepared, cone, maxrec)

    def render(batches) -> Iterator[bytes]:
        infos = [Info("SERVICE_PROTOCOL", "1.03", "SCS"), Info("TABLE", table.name)]
        return WRITER.stream(prepared.columns, batches, resource_infos=infos,
                             overflow=prepared.outcome, table_name=table.meta.name)

    conn, release = checkout()
    return streamed(open_result(conn, release, start, render, mime_type=WRITER.mime_type,
                                filename="scs.vot", database_error=database_error))


@blueprint.get("/<name>/capabilities")
def vosi_capabilities(name: str) -> Response:
    """VOSI capabilities of the cone search of ``name``."""
    settings = current_settings()
    return Response(capabilities(settings.public_url, _cone_table(name), settings.scs),
                    mimetype="text/xml")


@blueprint.get("/<name>/availability")
def availability(name: str) -> Response:
    """VOSI availability of the cone search of ``name``: true when the database answers."""
    _cone_table(name)
    return Response(database_availability(connection), mimetype="text/xml")
