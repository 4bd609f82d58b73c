"""Download of a product's associated files (2D spectrum, sky spectrum...):
``/files/<dp_id>/ancillary/<name>``, visible exactly when the product is."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from soxsvo.web.context import reading

blueprint = Blueprint("ancillary", __name__)


@blueprint.get("/files/<dp_id>/ancillary/<name>")
def download(dp_id: str, name: str):
    """The associated file ``name`` of product ``dp_id`` as delivered, SHA-256 as ETag."""
    with reading() as conn:
        row = conn.execute(
            "SELECT a.file_path, a.sha256, a.content_type, "
            "soxs.is_public(o.obs_release_date, o.data_rights) FROM soxs.ancillary a "
            "JOIN ivoa.obscore o ON o.obs_publisher_did = a.publisher_did "
            "WHERE o.dp_id = %s AND a.name = %s", (dp_id, name)).fetchone()
    if row is None or row[0] is None:
        abort(404, description=f"no associated file {name} of {dp_id} is held here")
    path, sha256, mime, released = row
    response = send_file(path, mimetype=mime, as_attachment=True,
                         download_name=name, etag=sha256, conditional=True, max_age=86400)
    if not released:
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response
