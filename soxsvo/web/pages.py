"""The landing page, listing the archive's contents and services, and the health check."""

from __future__ import annotations

import psycopg
from flask import Blueprint, jsonify, render_template

from soxsvo.access import begin_as_reader
from soxsvo.archive.summary import archive_summary
from soxsvo.web.context import connection, current_identity, current_settings

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def landing():
    """What the archive holds (as far as the caller may see) and where its services are."""
    settings = current_settings()
    with connection() as conn:
        begin_as_reader(conn, settings.query["sync_timeout"], current_identity())
        summary = archive_summary(conn)
    return render_template("landing.html", summary=summary, base_url=settings.public_url)


@blueprint.get("/health")
def health():
    """200 with the schema version when the database answers, 503 otherwise."""
    try:
        with connection() as conn:
            version = conn.execute("SELECT max(version) FROM public.soxsvo_migration").fetchone()
    except (psycopg.Error, OSError) as exc:
        return jsonify(status="unavailable", database=str(exc).strip()), 503
    return jsonify(status="ok", database="ok", schema_version=version[0])
