"""The ``/hips`` endpoints: the catalogue and image HiPS as static-looking trees (thin views)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, jsonify, send_file, url_for

from soxsvo.hips.catalogue import CatalogueOptions
from soxsvo.hips.image import ImageOptions
from soxsvo.hips.store import private_catalogue, public_catalogue, public_image_hips
from soxsvo.web.context import connection, current_identity, current_settings

blueprint = Blueprint("hips", __name__, url_prefix="/hips")

NAMES = ("catalogue", "image")
#: The only paths served from a tree: HiPS files, never the manifest or anything else.
_PATH = re.compile(r"^(properties|Moc\.fits|Norder\d{1,2}/Allsky\.(tsv|fits)"
                   r"|Norder\d{1,2}/Dir\d{1,9}/Npix\d{1,12}\.(tsv|fits))$")
_TYPES = {"tsv": "text/tab-separated-values; charset=utf-8", "fits": "application/fits",
          "properties": "text/plain; charset=utf-8"}


def _mime(relative: str) -> str:
    return _TYPES.get(relative.rsplit(".", 1)[-1] if "." in relative else relative,
                      "application/octet-stream")


def _public(response: Response) -> Response:
    # HiPS clients (Aladin Lite on other sites) read tiles cross-origin; the content changes
    # as products are registered, so caches must revalidate soon.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@blueprint.get("")
@blueprint.get("/")
def index():
    """Where the HiPS are (JSON)."""
    return jsonify({name: url_for("hips.hips_file", name=name, relative="properties",
                                  _external=True).rsplit("/", 1)[0] for name in NAMES})


@blueprint.get("/<name>")
@blueprint.get("/<name>/")
def root(name: str):
    """A HiPS's base URL answers its properties (what clients read first)."""
    return hips_file(name, "properties")


@blueprint.get("/<name>/<path:relative>")
def hips_file(name: str, relative: str):
    """One file of a HiPS tree (404 for tiles that do not exist, as HiPS clients expect)."""
    if name not in NAMES:
        abort(404, description=f"no HiPS {name!r}; there are {', '.join(NAMES)}")
    if not _PATH.match(relative):
        abort(404, description=f"{relative} is not a HiPS file")
    settings = current_settings()
    timeout = settings.query.sync_timeout
    interval = float(settings.hips.check_interval)
    identity = current_identity()
    with connection() as conn:
        if name == "image":
            folder, _ = public_image_hips(conn, settings.data_path / "hips",
                                          ImageOptions.from_settings(settings), timeout,
                                          interval)
        elif identity.is_anonymous:
            folder, _ = public_catalogue(conn, settings.data_path / "hips",
                                         CatalogueOptions.from_settings(settings), timeout,
                                         interval)
        else:
            files = private_catalogue(conn, identity, CatalogueOptions.from_settings(settings),
                                      timeout)
            if relative not in files:
                abort(404)
            response = Response(files[relative], mimetype=_mime(relative))
            response.headers["Cache-Control"] = "private, no-store"
            return response
    path = folder / relative
    if not path.is_file():
        abort(404)
    return _public(send_file(path, mimetype=_mime(relative), conditional=True))
