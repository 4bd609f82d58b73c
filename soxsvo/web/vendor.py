"""Front-end libraries served by soxsvo itself, at ``/vendor/<name>``.

They come from the npm registry through ``package.json`` (``npm install`` in a soxsvo checkout,
which ``./run`` does, puts them into the checkout's ``node_modules/``) and are never committed,
packaged nor fetched from a CDN by the pages. The setting ``node_modules``
(``SOXSVO_NODE_MODULES``) says where they are; empty, soxsvo looks in the ``node_modules/`` of
the checkout it runs from. Only the files named in :data:`VENDOR_FILES` are served, so
``node_modules`` is not browsable.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file

from soxsvo.web.context import current_settings

blueprint = Blueprint("vendor", __name__)

#: Public name under ``/vendor/`` → path inside ``node_modules``.
VENDOR_FILES = {
    "aladin.js": "aladin-lite/dist/aladin.js",
    "plotly.min.js": "plotly.js-dist-min/plotly.min.js",
    "samp.js": "sampjs/samp.js",
}

#: The checkout soxsvo runs from, if it runs from one (``pip install -e`` or the source tree):
#: the folder holding ``package.json`` beside the ``soxsvo`` package. An installed wheel has
#: none (site-packages holds no package.json).
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = _SOURCE_ROOT if (_SOURCE_ROOT / "package.json").is_file() else None


def node_modules(configured: str) -> Path | None:
    """Where ``npm install`` put the libraries: the ``node_modules`` setting if given (a
    relative path is taken from the directory soxsvo runs in), else the checkout's own
    ``node_modules/``; None when neither is known."""
    if configured:
        return Path(configured).expanduser().resolve()
    return CHECKOUT / "node_modules" if CHECKOUT is not None else None


def missing_message(name: str, folder: Path | None, configured: bool) -> str:
    """What to do when ``name`` is not in ``folder``: how to install the libraries."""
    if configured:
        return (f"{name} is not installed: the node_modules setting (SOXSVO_NODE_MODULES) is "
                f"{folder}, which does not hold {VENDOR_FILES[name]}; run npm install in a "
                f"soxsvo checkout (it reads package.json) and point SOXSVO_NODE_MODULES at that "
                f"checkout's node_modules folder")
    if folder is not None:
        return (f"{name} is not installed: run npm install in {folder.parent} (it reads "
                f"package.json into {folder}; ./run demo does it), or set SOXSVO_NODE_MODULES "
                f"to a node_modules folder holding the libraries of package.json")
    return (f"{name} is not installed: soxsvo does not run from a checkout, so set "
            f"SOXSVO_NODE_MODULES to the node_modules folder that npm install made in a soxsvo "
            f"checkout (it reads package.json)")


@blueprint.get("/vendor/<name>")
def vendor_file(name: str):
    """One shipped library file, cached for a day."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404, description=f"no front-end library {name}")
    configured = current_settings().node_modules
    folder = node_modules(configured)
    path = folder / relative if folder is not None else None
    if path is None or not path.is_file():
        abort(503, description=missing_message(name, folder, bool(configured)))
    return send_file(path, mimetype="text/javascript", max_age=86400, conditional=True)
