"""``POST /api/alerts``: authenticated ingestion over HTTP, problem documents on bad input."""

from __future__ import annotations

import pytest
from flask import g

from soxsvo.access import Identity
from soxsvo.web.app import create_app
from tests.marshall.ingest import samples
from tests.marshall.ingest.conftest import table_counts


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config["TESTING"] = True

    # Test-only: the identity the access layer would establish from an API token.
    @app.before_request
    def pretend_token():
        from flask import request
        who = request.headers.get("X-Test-User")
        if who:
            g.identity = Identity(user=who, roles=frozenset(
                r for r in request.headers.get("X-Test-Roles", "").split(",") if r))

    return app


MEMBER = {"X-Test-User": "ann", "X-Test-Roles": "consortium"}


def test_member_posts_a_ztf_packet(app, data_dir, db_conn) -> None:
    packet = (data_dir / samples.ZTF_DIR / "alerts" / samples.ZTF_PACKET).read_bytes()
    response = app.test_client().post("/api/alerts", data=packet, headers=MEMBER,
                                      content_type="avro/binary")
    assert response.status_code == 200
    assert response.json["alerts"] == 1 and response.json["new_transients"] == 1
    again = app.test_client().post("/api/alerts", data=packet, headers=MEMBER)
    assert again.json["alerts"] == 0 and again.json["duplicates"] == 1
    assert table_counts(db_conn)["transient"] == 1


def test_multipart_upload_with_source(app, db_conn) -> None:
    import io
    data = {"file": (io.BytesIO(samples.gaia_alerts([("Gaia26api", 1.0, 2.0, 18.0, "")])),
                     "alerts.csv")}
    response = app.test_client().post("/api/alerts?source=gaia", data=data, headers=MEMBER,
                                      content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["new_transients"] == 1


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401), ({"X-Test-User": "bob", "X-Test-Roles": ""}, 403)])
def test_callers_without_the_consortium_role_are_refused(app, headers, status,
                                                         db_conn) -> None:
    response = app.test_client().post("/api/alerts", data=samples.swift_bat_notice(),
                                      headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert table_counts(db_conn)["event"] == 0


def test_corrupt_body_is_a_problem_and_stores_nothing(app, data_dir, db_conn) -> None:
    records = [samples.ztf_record(data_dir, object_id=f"ZTF26aaaapi{c}", candid=i,
                                  ra=40.0 + i, dec=0.0) for i, c in enumerate("ab")]
    packet = samples.ztf_packet(data_dir, records)
    response = app.test_client().post("/api/alerts", data=packet[:-30], headers=MEMBER)
    assert response.status_code == 400
    assert response.json["title"] == "unreadable alert"
    assert "corrupt Avro packet" in response.json["detail"]
    assert table_counts(db_conn)["transient"] == 0


def test_unknown_source_empty_and_too_large(app, settings) -> None:
    client = app.test_client()
    assert client.post("/api/alerts?source=nope", data=b"x", headers=MEMBER).status_code == 400
    assert client.post("/api/alerts", data=b"", headers=MEMBER).status_code == 400
    limit = settings.alerts.upload_max_bytes
    big = client.post("/api/alerts", data=b"x" * (limit + 1), headers=MEMBER)
    assert big.status_code == 413 and big.mimetype == "application/problem+json"


def test_wrongly_typed_gcn_field_is_a_problem_not_a_500(app, db_conn) -> None:
    notice = b'{"$schema": "https://gcn.nasa.gov/schema/main/gcn/notices/core/Alert.schema.json",' \
             b' "mission": "SVOM", "instrument": "ECLAIRs", "id": ["sb26"], "trigger_time": 5}'
    response = app.test_client().post("/api/alerts", data=notice, headers=MEMBER,
                                      content_type="application/json")
    assert response.status_code == 422 or response.status_code == 400, response.data
    assert response.mimetype == "application/problem+json"
    assert "trigger_time" in response.json["detail"]
    assert table_counts(db_conn)["event"] == 0


def test_same_notice_posted_in_parallel_is_stored_once(app, db_conn) -> None:
    from concurrent.futures import ThreadPoolExecutor

    notice = samples.lvk_notice("S261207xy")

    def post(_):
        return app.test_client().post("/api/alerts", data=notice, headers=MEMBER,
                                      content_type="application/json").status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(24)))
    assert set(statuses) == {200}, statuses
    assert db_conn.execute("SELECT count(*) FROM marshall.event").fetchone()[0] == 1


def test_nul_byte_and_deep_json_are_problems(app) -> None:
    client = app.test_client()
    nul = client.get("/api/transients?list=inbox%00", headers=MEMBER)
    assert nul.status_code == 400 and nul.mimetype == "application/problem+json"
    deep = client.post("/api/alerts", data="[" * 100_000 + "]" * 100_000, headers=MEMBER,
                       content_type="application/json")
    assert deep.status_code == 400 and "nested deeper" in deep.json["detail"]
