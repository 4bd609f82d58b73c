"""The landing page, listing the archive's contents and services, and the health check."""

from __future__ import annotations

import psycopg
from flask import Blueprint, jsonify, render_template
from psycopg_pool import PoolTimeout

from soxsvo import access
from soxsvo.access import ANONYMOUS, begin_as_reader
from soxsvo.archive.summary import archive_summary
from soxsvo.tap.uws.jobs import queue_state
from soxsvo.web.context import connection, current_identity, current_settings
from soxsvo.web.drain import draining

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def landing():
    """What the archive holds (as far as the caller may see) and where its services are."""
    settings = current_settings()
    with connection() as conn:
        begin_as_reader(conn, settings.query.sync_timeout, current_identity())
        summary = archive_summary(conn)
    return render_template("landing.html", summary=summary, base_url=settings.public_url)


@blueprint.get("/health")
def health():
    """200 when the service can answer queries, 503 (with the reason) when it cannot.

    Checked with real work, not a ping: the schema version, a q3c call (the extension must
    load), an anonymous read of ObsCore through row-level security, and the async job queue
    (queued jobs nobody runs make the service unhealthy too).
    """
    try:
        with connection() as conn:
            version = conn.execute(
                "SELECT max(version), q3c_ang2ipix(0.0, 0.0) IS NOT NULL "
                "FROM public.soxsvo_migration").fetchone()[0]
            queue = queue_state(conn)
            conn.rollback()
            with access.reading(conn, ANONYMOUS, 5.0):
                conn.execute("SELECT 1 FROM ivoa.obscore LIMIT 1").fetchall()
    except (psycopg.Error, OSError, PoolTimeout) as exc:
        return jsonify(status="unavailable", database=str(exc).strip()), 503
    body = {"status": "ok", "database": "ok", "schema_version": version, "jobs": queue}
    if queue["stuck"]:
        body["status"] = "degraded"
        body["reason"] = f"{queue['stuck']} queued jobs wait and no job worker is alive"
        return jsonify(body), 503
    return jsonify(body)


@blueprint.get("/health/ready")
def ready():
    """Readiness for a load balancer: 200 while this node takes requests, 503 when it does not.

    503 ``draining`` once ``soxsvo serve`` got SIGTERM (it keeps serving for
    ``[serve] drain_seconds`` so that the balancer moves away first), and 503 without the
    database. Unlike ``/health``, jobs nobody runs do not make a web node unready: job
    nodes are checked apart (``soxsvo health --role jobs``).
    """
    if draining(current_settings()):
        return jsonify(status="draining"), 503
    try:
        with connection() as conn:
            conn.execute("SELECT q3c_ang2ipix(0.0, 0.0) FROM public.soxsvo_migration LIMIT 1")
            conn.rollback()
    except (psycopg.Error, OSError, PoolTimeout) as exc:
        return jsonify(status="unavailable", database=str(exc).strip()), 503
    return jsonify(status="ok")
