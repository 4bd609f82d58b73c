"""The app factory: settings, the database pool, security, every blueprint, error pages.

Owns the web layer's wiring (settings, database pool, error pages); domain logic lives in the
other packages and is called from thin views.
"""

from __future__ import annotations

from flask import Flask

from soxsvo.archive.obscore_map import datalink_url
from soxsvo.config import Settings, load_settings
from soxsvo.datalink.views import blueprint as datalink_blueprint
from soxsvo.hips.views import blueprint as hips_blueprint
from soxsvo.marshall.ingest.views import blueprint as alerts_blueprint
from soxsvo.marshall.views.api import blueprint as marshall_api_blueprint
from soxsvo.marshall.views.pages import blueprint as marshall_blueprint
from soxsvo.moc.views import blueprint as moc_blueprint
from soxsvo.observing.views import blueprint as nights_blueprint
from soxsvo.observing.views import pages as nights_pages
from soxsvo.preview.views import blueprint as preview_blueprint
from soxsvo.registry.views import blueprint as registry_blueprint
from soxsvo.scs.views import blueprint as scs_blueprint
from soxsvo.sia.views import blueprint as sia_blueprint
from soxsvo.soda.views import blueprint as soda_blueprint
from soxsvo.ssa.views import blueprint as ssa_blueprint
from soxsvo.tap.uws.views import blueprint as uws_blueprint
from soxsvo.tap.views import blueprint as tap_blueprint
from soxsvo.web import ancillary, archive, files, login, pages, vendor
from soxsvo.web.context import init_pool
from soxsvo.web.errors import init_error_handlers
from soxsvo.web.guards import init_guards
from soxsvo.web.identify import init_identity
from soxsvo.web.security import init_security


def create_app(settings: Settings | None = None) -> Flask:
    """Build the soxsvo web application.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :func:`soxsvo.config.load_settings` (file + ``SOXSVO_*`` variables).
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["SOXSVO"] = settings
    # Bound request sizes: uploads and forms larger than this are refused with 413.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    init_pool(app, settings)
    init_security(app, settings)

    init_identity(app)
    init_error_handlers(app)
    init_guards(app)

    for blueprint in (pages.blueprint, archive.blueprint, files.blueprint, vendor.blueprint,
                      login.blueprint, tap_blueprint, uws_blueprint, moc_blueprint,
                      hips_blueprint, ssa_blueprint, scs_blueprint, sia_blueprint,
                      datalink_blueprint, soda_blueprint, preview_blueprint, ancillary.blueprint,
                      alerts_blueprint, marshall_blueprint, marshall_api_blueprint,
                      registry_blueprint, nights_blueprint, nights_pages):
        app.register_blueprint(blueprint)
    app.add_template_global(_page_datalink_url, "datalink_url")
    return app


def _page_datalink_url(publisher_did: str) -> str:
    # Pages link a product's DataLink document with the one builder ObsCore access_url uses,
    # relative to the page's own host.
    return datalink_url("", publisher_did)
