"""``/preview/<dp_id>.png``: the preview of a spectrum the caller may see."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from soxsvo.archive.products import find_product
from soxsvo.preview.cache import cached_preview, preview_key
from soxsvo.web.context import current_settings, reading

blueprint = Blueprint("preview", __name__)


@blueprint.get("/preview/<dp_id>.png")
def preview(dp_id: str):
    """The PNG, drawn on first request and cached; ETag from the product's checksum.

    Released previews may be cached by anyone for a day; a proprietary one (seen by an
    authorised caller) only by the caller's own browser.
    """
    settings = current_settings()
    with reading() as conn:
        product = find_product(conn, dp_id)
    if product is None or product.dp_id != dp_id or not product.is_spectrum:
        abort(404, description=f"no spectrum {dp_id} (unknown, or not released to you)")
    width, height = settings.preview.width, settings.preview.height
    path = cached_preview(settings.data_path / "previews", product.file_path, product.sha256,
                          width, height)
    response = send_file(path, mimetype="image/png", etag=preview_key(product.sha256, width,
                                                                       height),
                         conditional=True, max_age=86400, download_name=f"{dp_id}.png")
    response.headers["Cache-Control"] = (
        "public, max-age=86400" if product.released else "private, max-age=3600")
    if not product.released:
        response.headers["Vary"] = "Cookie, Authorization"
    return response
