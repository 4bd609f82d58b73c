"""The ``/tap`` blueprint: thin views over ``sync``, ``vosi`` and the UWS job store."""

from __future__ import annotations

from flask import Response, request
from psycopg_pool import PoolTimeout

from soxsvo.dali import DALIError, dal_blueprint, request_params
from soxsvo.db.metadata import table as find_table
from soxsvo.tap import fair_use, vosi
from soxsvo.tap.sync import parse_tap_request, stream_query
from soxsvo.web.context import checkout, connection, current_identity, current_settings

blueprint = dal_blueprint("tap", __name__, url_prefix="/tap")
XML = "text/xml"


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """Run an ADQL query and stream its result (TAP 1.1 section 2.2.1)."""
    settings = current_settings()
    tap_request = parse_tap_request(request_params(request), settings.tap)
    from soxsvo.tap.uploads import uploads_from_request

    loader = uploads_from_request(request, request_params(request), settings.tap)
    try:
        conn, release = checkout(settings.tap["sync_connection_wait"])
    except PoolTimeout:
        raise DALIError("the service is busy (all its database connections are in use); "
                        "try again shortly", 503, retry_after=fair_use.RETRY_AFTER) from None
    return stream_query(conn, release, tap_request, settings.query["sync_timeout"], loader,
                        current_identity(),
                        sync_slot=(fair_use.client_key(), settings.tap["max_sync_per_client"]))


@blueprint.get("/capabilities")
def capabilities() -> Response:
    """VOSI capabilities: TAP, its VOSI resources and DALI examples."""
    return Response(vosi.capabilities_document(current_settings().public_url, current_settings()),
                    mimetype=XML)


@blueprint.get("/examples")
def examples() -> Response:
    """DALI examples: SOXS science queries, each runnable as written."""
    from soxsvo.tap.examples import examples_document

    return Response(examples_document(current_settings().public_url),
                    mimetype="application/xhtml+xml")


@blueprint.get("/availability")
def availability() -> Response:
    """VOSI availability: true when the database answers."""
    return Response(vosi.database_availability(connection), mimetype=XML)


@blueprint.get("/tables")
def tables() -> Response:
    """VOSI tableset; ``detail=min`` omits the columns."""
    detail = (request.args.get("detail") or "").lower() != "min"
    return Response(vosi.tableset_document(detail=detail), mimetype=XML)


@blueprint.get("/tables/<name>")
def one_table(name: str) -> Response:
    """VOSI 1.1 single-table document."""
    try:
        meta = find_table(name)
    except KeyError:
        return Response(f"no table {name} in this service\n", status=404, mimetype="text/plain")
    return Response(vosi.table_document(meta), mimetype=XML)
