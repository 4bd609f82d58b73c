"""``POST /api/alerts``: alerts pushed over HTTP by brokers and consortium scripts.

The body is one alert file (Avro packet, CSV, JSON notice) sent as the raw request body or as
the ``file`` part of a multipart form; ``?source=`` names its format when it cannot be
recognised. The answer is the ingestion summary as JSON, or a problem document (400 for an
unreadable body, 413 when it is too large). Callers need the ``consortium`` role: scripts and
brokers send an API token; a logged-in browser must also send the CSRF token of one of this
site's pages (checked by :mod:`soxsvo.web.identify`), so that a page of another site cannot
ingest alerts in a member's name through the session cookie.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from soxsvo.marshall.ingest.base import AlertFormatError
from soxsvo.marshall.ingest.config import IngestConfig
from soxsvo.marshall.ingest.service import ingest_bytes
from soxsvo.marshall.ingest.sources import SOURCES
from soxsvo.observing.config import ObservingConfig
from soxsvo.observing.triggers import events_since, react_to_events
from soxsvo.web.auth import problem, require_role
from soxsvo.web.context import connection, current_settings
from soxsvo.web.security import exempt_from_csrf

blueprint = exempt_from_csrf(Blueprint("alerts_api", __name__, url_prefix="/api"))


def _body(limit: int) -> tuple[bytes, str] | Response:
    if request.content_length is not None and request.content_length > limit:
        return problem(413, "alert too large", f"the body exceeds {limit} bytes")
    upload = request.files.get("file")
    if upload is not None:
        data = upload.stream.read(limit + 1)
        origin = f"POST /api/alerts ({upload.filename or 'file'})"
    else:
        data = request.get_data(cache=False)
        origin = "POST /api/alerts"
    if len(data) > limit:
        return problem(413, "alert too large", f"the body exceeds {limit} bytes")
    if not data:
        return problem(400, "no alert", "send the alert file as the body or as the 'file' part")
    return data, origin


@blueprint.post("/alerts")
@require_role("consortium")
def post_alerts() -> Response:
    """Ingest the alert file in the request; answer its summary."""
    settings = current_settings()
    source = request.args.get("source") or None
    if source is not None and source not in SOURCES:
        return problem(400, "unknown source", f"source must be one of {', '.join(SOURCES)}")
    body = _body(int(settings.alerts.upload_max_bytes))
    if isinstance(body, Response):
        return body
    data, origin = body
    started = datetime.now(UTC)
    try:
        with connection() as conn:
            summary = ingest_bytes(conn, data, origin, IngestConfig.from_settings(settings),
                                   source)
            reactions = react_to_events(conn, events_since(conn, started),
                                        ObservingConfig.from_settings(settings),
                                        datetime.now(UTC)) if summary.events else []
    except AlertFormatError as exc:
        return problem(400, "unreadable alert", str(exc))
    return jsonify({**summary.as_dict(), "night": [r.as_dict() for r in reactions]})
