"""The landing page, listing the archive's contents and services, and the health check."""

from __future__ import annotations

import psycopg
from flask import Blueprint, current_app, jsonify, render_template

from soxsvo.archive_summary import archive_summary
from soxsvo.web.database import connection

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def landing():
    """What the archive holds and where its services are."""
    with connection() as conn:
        summary = archive_summary(conn)
    settings = current_app.config["SOXSVO"]
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
