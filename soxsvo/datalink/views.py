"""The ``/datalink`` blueprint: links, VOSI capabilities and availability (thin views)."""

from __future__ import annotations

from flask import Response, request

from soxsvo.dali.blueprint import dal_blueprint, request_params, vosi_routes
from soxsvo.datalink.capability import capabilities_document
from soxsvo.datalink.document import DATALINK_MIME, links_document
from soxsvo.datalink.links import LinkSources, links_for
from soxsvo.errors import InputError
from soxsvo.web.context import current_settings, reading

blueprint = dal_blueprint("datalink", __name__, url_prefix="/datalink")

#: RESPONSEFORMAT values meaning the links VOTable (DataLink 1.1 section 3.2.2).
RESPONSE_FORMATS = (DATALINK_MIME, "application/x-votable+xml", "votable", "text/xml")


def _check_format(value: str | None) -> None:
    if value is None:
        return
    normal = value.replace(" ", "").lower()
    if normal not in RESPONSE_FORMATS:
        raise InputError(f"UsageFault: RESPONSEFORMAT {value!r} is not supported; use "
                         f"{DATALINK_MIME}")


@blueprint.route("/links", methods=["GET", "POST"])
def links() -> Response:
    """The links of every ``ID`` (publisher DID or archive name); unknown or hidden ones get a
    row with ``error_message`` (DataLink 1.1 section 3.2)."""
    settings = current_settings()
    params = request_params(request)
    ids = [value.strip() for value in params.getall("ID") if value.strip()]
    if not ids:
        raise InputError("UsageFault: the ID parameter is required (a publisher DID such as "
                         "ivo://eso.org/soxs/ID?ADP.2026-..., or an archive name)")
    limit = settings.datalink.max_ids
    if len(ids) > limit:
        raise InputError(f"UsageFault: {len(ids)} ID values; at most {limit} per request")
    _check_format(params.get("RESPONSEFORMAT"))
    maxrec = params.get_int("MAXREC")
    sources = LinkSources(settings.public_url, settings.datalink.eso_file_url)
    with reading() as conn:
        rows, descriptors = links_for(conn, ids, sources)
    overflow = maxrec is not None and len(rows) > maxrec
    if overflow:
        rows = rows[:maxrec]
    body = links_document(rows, descriptors, f"{settings.public_url}/soda/sync",
                          overflow=overflow)
    return Response(body, content_type=DATALINK_MIME)


vosi_routes(blueprint, lambda: capabilities_document(current_settings().public_url))
