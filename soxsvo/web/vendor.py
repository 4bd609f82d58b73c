"""Front-end libraries served by soxsvo itself, at ``/vendor/<name>``.

They come from the npm registry through ``package.json`` (installed by ``./run`` into
``node_modules/``) and are never committed nor fetched from a CDN by the pages. Only the files
named in :data:`VENDOR_FILES` are served, so ``node_modules`` is not browsable.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, abort, send_file

blueprint = Blueprint("vendor", __name__)

#: Public name under ``/vendor/`` → path inside ``node_modules``.
VENDOR_FILES = {
    "aladin.js": "aladin-lite/dist/aladin.js",
    "plotly.min.js": "plotly.js-dist-min/plotly.min.js",
    "samp.js": "sampjs/samp.js",
}


def node_modules() -> Path:
    """Where ``npm install`` put the libraries: ``$SOXSVO_NODE_MODULES`` or the project's own."""
    configured = os.environ.get("SOXSVO_NODE_MODULES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "node_modules"


@blueprint.get("/vendor/<name>")
def vendor_file(name: str):
    """One shipped library file, cached for a day."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404, description=f"no front-end library {name}")
    path = node_modules() / relative
    if not path.is_file():
        abort(503, description=f"{name} is not installed: run ./run demo (npm install) first")
    return send_file(path, mimetype="text/javascript", max_age=86400, conditional=True)
