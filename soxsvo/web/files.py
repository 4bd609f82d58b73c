"""Download of archived product files by their archive name (``/files/ADP....``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file

from soxsvo.access import begin_as_reader
from soxsvo.archive_summary import product_file
from soxsvo.web.auth import current_identity
from soxsvo.web.database import connection

blueprint = Blueprint("files", __name__)


@blueprint.get("/files/<dp_id>")
def download(dp_id: str):
    """The product file, byte for byte as archived, with its checksum as ETag.

    The database, as the reader for the caller, says whether the caller may have it.
    """
    with connection() as conn:
        begin_as_reader(conn, current_app.config["SOXSVO"].query["sync_timeout"],
                        current_identity())
        found = product_file(conn, dp_id)
        conn.rollback()
    if found is None:
        abort(404, description=f"no product {dp_id}")
    path, sha256, name, public = found
    response = send_file(path, mimetype="application/fits", as_attachment=True,
                         download_name=f"{dp_id}.fits", etag=sha256, conditional=True,
                         max_age=86400)
    if not public:
        # A proprietary file must never be kept by a shared cache for the next visitor.
        response.cache_control.public = False
        response.cache_control.private = True
    response.headers["X-Original-Name"] = name
    response.vary.update(("Authorization", "Cookie"))
    return response
