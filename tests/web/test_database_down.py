"""The database goes away and comes back (hardening, item 9).

While it is unreachable every kind of caller gets a 503 with ``Retry-After`` in its own form
(DALI VOTable, problem+json, a styled page) and ``/health`` says so; once it is back, the
pooled connections it killed are replaced and the same app answers again — no restart.
"""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.config import load_settings
from tests.support import app_over

GOOD_TAP = ("/tap/sync?LANG=ADQL&RESPONSEFORMAT=csv&QUERY=SELECT+TOP+1+schema_name+FROM+"
            "tap_schema.schemas")


@pytest.fixture
def app(tmp_path, db_conninfo):
    settings = load_settings({"SOXSVO_DATA_DIR": str(tmp_path / "data"),
                              "SOXSVO_DATABASE_URL": db_conninfo,
                              "SOXSVO_TAP_SYNC_CONNECTION_WAIT": "4.0"})
    with app_over(settings) as app:
        yield app


def _database(conninfo: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"]


def _set_reachable(pg_cluster, name: str, reachable: bool) -> None:
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(reachable).lower()}')
        if not reachable:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s", (name,))


def test_down_is_503_with_retry_after_then_back_without_restart(app, pg_cluster,
                                                                  db_conninfo) -> None:
    client = app.test_client()
    assert client.get(GOOD_TAP).status_code == 200
    name = _database(db_conninfo)
    _set_reachable(pg_cluster, name, False)
    try:
        tap = client.get(GOOD_TAP)
        assert tap.status_code == 503 and tap.headers["Retry-After"]
        assert b'name="QUERY_STATUS" value="ERROR"' in tap.data
        api = client.get("/api/openapi.json")
        assert api.status_code == 200  # needs no database
        files = client.get("/files/ADP.2026-01-01T00:00:00.000")
        assert files.status_code == 503 and files.headers["Retry-After"]
        assert files.mimetype == "text/html" and b"try again" in files.data
        health = client.get("/health")
        assert health.status_code == 503 and health.json["status"] == "unavailable"
    finally:
        _set_reachable(pg_cluster, name, True)
    # The pool's connections died with the database: each is checked when handed out, so
    # the first request after the return already succeeds.
    assert client.get(GOOD_TAP).status_code == 200
    assert client.get("/health").status_code == 200


def test_killed_connections_are_replaced_on_checkout(app, pg_cluster, db_conninfo) -> None:
    client = app.test_client()
    assert client.get(GOOD_TAP).status_code == 200
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s", (_database(db_conninfo),))
    for _ in range(3):
        assert client.get(GOOD_TAP).status_code == 200
