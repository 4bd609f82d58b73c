"""The ``/sia`` blueprint: thin views over params, query and response."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request

from soxsvo.access import begin_as_reader, forbid_writes
from soxsvo.dali.blueprint import dal_blueprint, request_params, streamed, vosi_routes
from soxsvo.dali.streaming import open_result
from soxsvo.sia.capability import capabilities_document
from soxsvo.sia.params import parse_query
from soxsvo.sia.query import largest_fov, prepare_images
from soxsvo.sia.response import response_writer, results_document
from soxsvo.tap.query import stream_rows
from soxsvo.tap.sync import database_error
from soxsvo.web.context import checkout, current_identity, current_settings

blueprint = dal_blueprint("sia", __name__, url_prefix="/sia")


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """SIAP 2.0: the images overlapping the constraints (MAXREC=0: the columns only)."""
    settings = current_settings()
    params = request_params(request)
    writer = response_writer(params.get("RESPONSEFORMAT"))
    images = parse_query(params, settings.sia.maxrec_default, settings.sia.maxrec_hard)
    # Translated once the largest image size is read, in the caller's transaction.
    prepared = []

    def start(conn) -> Iterator:
        begin_as_reader(conn, settings.query.sync_timeout, current_identity())
        forbid_writes(conn)
        prepared.append(prepare_images(images, largest_fov(conn)))
        return stream_rows(conn, prepared[0], images.maxrec)

    def render(batches) -> Iterator[bytes]:
        return results_document(writer, prepared[0], batches, prepared[0].outcome,
                                settings.public_url)

    conn, release = checkout()
    return streamed(open_result(conn, release, start, render, mime_type=writer.mime_type,
                                filename="sia.vot", database_error=database_error))


vosi_routes(blueprint, lambda: capabilities_document(current_settings().public_url))
