"""Download of archived product files by their archive name (``/files/ADP....``)."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from soxsvo.archive.products import find_product
from soxsvo.web.context import reading

blueprint = Blueprint("files", __name__)


@blueprint.get("/files/<dp_id>")
def download(dp_id: str):
    """The product file, byte for byte as archived, with its checksum as ETag.

    Found by the same lookup as DataLink, SODA and previews, so the caller gets exactly the
    products row-level security lets them see.
    """
    with reading() as conn:
        product = find_product(conn, dp_id)
    if product is None or product.dp_id != dp_id:
        abort(404, description=f"no product {dp_id}")
    response = send_file(product.file_path, mimetype="application/fits", as_attachment=True,
                         download_name=f"{dp_id}.fits", etag=product.sha256, conditional=True,
                         max_age=86400)
    response.headers["X-Original-Name"] = product.original_name
    if not product.released:    # seen by an authorised caller: not for shared caches
        response.headers["Cache-Control"] = "private, max-age=3600"
        response.headers["Vary"] = "Cookie, Authorization"
    return response
