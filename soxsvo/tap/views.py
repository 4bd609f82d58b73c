"""The ``/tap`` blueprint: thin views over ``sync``, ``vosi`` and the UWS job store."""

from __future__ import annotations

from flask import Response, request
from psycopg_pool import PoolTimeout

from soxsvo.dali.blueprint import dal_blueprint, request_params, streamed, vosi_routes
from soxsvo.db.metadata import all_tables, find_table, published_schemas
from soxsvo.errors import LimitError
from soxsvo.scs.capability import cone_capability
from soxsvo.scs.tables import cone_tables
from soxsvo.sia.capability import sia_capability
from soxsvo.ssa.capability import ssa_capability
from soxsvo.tap import fair_use, vosi
from soxsvo.tap.sync import parse_tap_request, stream_query
from soxsvo.web.context import (
    checkout,
    connection,
    current_client,
    current_identity,
    current_settings,
)

blueprint = dal_blueprint("tap", __name__, url_prefix="/tap")
XML = "text/xml"


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """Run an ADQL query and stream its result (TAP 1.1 section 2.2.1)."""
    settings = current_settings()
    tap_request = parse_tap_request(request_params(request), settings.tap)
    from soxsvo.tap.uploads import uploads_from_request

    loader = uploads_from_request(request.files, request_params(request), settings.tap)
    try:
        conn, release = checkout(settings.tap.sync_connection_wait)
    except PoolTimeout:
        raise LimitError("the service is busy (all its database connections are in use); "
                         "try again shortly", fair_use.RETRY_AFTER, overall=True) from None
    return streamed(stream_query(
        conn, release, tap_request, settings.query.sync_timeout, loader, current_identity(),
        sync_slot=(current_client(), settings.tap.max_sync_per_client)))


def _cone_tables() -> tuple:
    """The cone tables among every published table, the operator's too."""
    with connection() as conn:
        return cone_tables(all_tables(conn))


def _capabilities() -> bytes:
    """VOSI capabilities: TAP, its VOSI resources and DALI examples."""
    settings = current_settings()
    # The spectra of ObsCore are also served by SSA from the same root; its full capability
    # (with the SSA extension) is at /ssa/capabilities, see ssa_capability for why not here.
    # So are the images (SIA 2) and the cone searches of each table with a position.
    base = settings.public_url
    also = (ssa_capability(base, settings.ssa, extension=False), sia_capability(base),
            *(cone_capability(base, table, settings.scs, extension=False)
              for table in _cone_tables()))
    return vosi.capabilities_document(base, settings, also=also)


@blueprint.get("/examples")
def examples() -> Response:
    """DALI examples: SOXS science queries, each runnable as written."""
    from soxsvo.tap.examples import examples_document

    return Response(examples_document(current_settings().public_url),
                    mimetype="application/xhtml+xml")



@blueprint.get("/tables")
def tables() -> Response:
    """VOSI tableset; ``detail=min`` omits the columns."""
    detail = (request.args.get("detail") or "").lower() != "min"
    with connection() as conn:
        tables, schemas = all_tables(conn), published_schemas(conn)
    return Response(vosi.tableset_document(tables, schemas, detail=detail), mimetype=XML)


@blueprint.get("/tables/<name>")
def one_table(name: str) -> Response:
    """VOSI 1.1 single-table document."""
    try:
        with connection() as conn:
            meta = find_table(all_tables(conn), name)
    except KeyError:
        return Response(f"no table {name} in this service\n", status=404, mimetype="text/plain")
    return Response(vosi.table_document(meta), mimetype=XML)


vosi_routes(blueprint, _capabilities)
