"""Download of archived product files by their archive name (``/files/ADP....``)."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from soxsvo.archive_summary import product_file
from soxsvo.web.database import connection

blueprint = Blueprint("files", __name__)


@blueprint.get("/files/<dp_id>")
def download(dp_id: str):
    """The product file, byte for byte as archived, with its checksum as ETag."""
    with connection() as conn:
        found = product_file(conn, dp_id)
    if found is None:
        abort(404, description=f"no product {dp_id}")
    path, sha256, name = found
    response = send_file(path, mimetype="application/fits", as_attachment=True,
                         download_name=f"{dp_id}.fits", etag=sha256, conditional=True,
                         max_age=86400)
    response.headers["X-Original-Name"] = name
    return response
