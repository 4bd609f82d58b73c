"""``/api/nights``: plan, re-plan on a ToO, show; bad input as problem details; every request
and response checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.marshall.web.conftest import CONSORTIUM, OUTSIDER, install_test_identity
from tests.observing.helpers import NIGHT, add_transient, night, seed_sky
from tests.support import app_over


@pytest.fixture
def api(settings):
    with app_over(settings) as app:
        install_test_identity(app)
        client = app.test_client()
        document = client.get("/api/openapi.json").get_json()
        validate(document)
        spec = OpenAPI.from_dict(document, config=Config(
            extra_media_type_deserializers={"application/problem+json": json.loads}))

        def run(method: str, path: str, **kwargs):
            kwargs.setdefault("headers", CONSORTIUM)
            request = Request(EnvironBuilder(path=path, method=method, **kwargs).get_environ())
            response = client.open(path, method=method, **kwargs)
            spec.validate_response(WerkzeugOpenAPIRequest(request),
                                   WerkzeugOpenAPIResponse(response))
            return response
        yield run


def test_plan_replan_and_show_through_the_api(api, db_conn) -> None:
    seed_sky(db_conn)
    planned = api("POST", f"/api/nights/{NIGHT}/plan")
    assert planned.status_code == 201
    body = planned.get_json()
    assert body["version"] == 1 and body["actor"] == "anna"
    assert {"SN2026f0", "LTT3218"} <= {b["target"] for b in body["blocks"]}
    add_transient(db_conn, "AT2026nu", 80.0, -40.0, list_name="inbox", priority=4)
    replanned = api("POST", f"/api/nights/{NIGHT}/replan",
                    json={"too": "AT2026nu", "reason": "IceCube alert",
                          "now": night().start.isoformat()})
    assert replanned.status_code == 201, replanned.get_json()
    body = replanned.get_json()
    assert body["version"] == 2 and body["reason"] == "IceCube alert"
    too = next(b for b in body["blocks"] if b["target"] == "AT2026nu")
    assert too["too"] and too["priority"] == 0 and "ToO AT2026nu" in too["reason"]
    first = api("GET", f"/api/nights/{NIGHT}", query_string={"version": 1}).get_json()
    assert "AT2026nu" not in {b["target"] for b in first["blocks"]}
    changes = api("GET", f"/api/nights/{NIGHT}/diff",
                  query_string={"from": 1, "to": 2}).get_json()
    assert [b["target"] for b in changes["added"]] == ["AT2026nu"]
    assert all(b["reason"] for b in changes["removed"])
    missing = api("GET", f"/api/nights/{NIGHT}/diff", query_string={"from": 1, "to": 7})
    assert missing.status_code == 404 and "no version 7" in missing.get_json()["detail"]


@pytest.mark.parametrize("method, path, body, status, words", [
    ("POST", f"/api/nights/{NIGHT}/plan", None, 400, "nothing to plan"),
    ("POST", "/api/nights/tonight/plan", None, 400, "is not a night"),
    ("GET", f"/api/nights/{NIGHT}", None, 404, "has no plan"),
    ("POST", f"/api/nights/{NIGHT}/replan", {"too": 5}, 400, "too must be"),
    ("POST", f"/api/nights/{NIGHT}/replan", {"now": "soon"}, 400, "not an ISO 8601 time"),
])
def test_bad_input_is_a_problem_document(api, method, path, body, status, words) -> None:
    answer = api(method, path, json=body) if body is not None else api(method, path)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert words in answer.get_json()["detail"]


def test_replan_with_nothing_left_of_the_night_is_refused(api, db_conn) -> None:
    seed_sky(db_conn)
    assert api("POST", f"/api/nights/{NIGHT}/plan").status_code == 201
    answer = api("POST", f"/api/nights/{NIGHT}/replan",
                 json={"now": night().end.isoformat()})
    assert answer.status_code == 400
    assert "nothing is left of the night" in answer.get_json()["detail"]


def test_outsiders_and_anonymous_are_refused(api, db_conn) -> None:
    assert api("GET", f"/api/nights/{NIGHT}", headers=OUTSIDER).status_code == 403
    assert api("POST", f"/api/nights/{NIGHT}/plan", headers={}).status_code == 401


def test_requests_are_checked_and_used_by_the_plan(api, db_conn) -> None:
    ids = seed_sky(db_conn)
    tid = ids["SN2026f0"]
    stored = api("PUT", f"/api/nights/requests/{tid}",
                 json={"exposure_s": 2400, "max_airmass": 1.5, "cadence_days": 2})
    assert stored.status_code == 200 and stored.get_json()["requested_by"] == "anna"
    body = api("POST", f"/api/nights/{NIGHT}/plan").get_json()
    block = next(b for b in body["blocks"] if b["target"] == "SN2026f0")
    assert block["exposure_s"] == 2400 and block["airmass_start"] <= 1.5


@pytest.mark.parametrize("body, words", [
    ({"max_airmass": 0.9}, "airmass is at least 1"),
    ({"max_airmass": 1.00001}, "within 0.5 deg of the zenith"),
    ({"window_start": "2026-12-08T03:00", "window_end": "2026-12-08T02:00"}, "must come after"),
    ({"window_start": "2026-12-08T03:00"}, "needs both"),
    ({"exposure_s": 90000}, "at most 3600"),
    ({"seeing": 1}, "unknown request field"),
])
def test_impossible_constraints_are_problems(api, db_conn, body, words) -> None:
    tid = add_transient(db_conn, "SN2026req", 30.0, -30.0)
    answer = api("PUT", f"/api/nights/requests/{tid}", json=body)
    assert answer.status_code == 400 and words in answer.get_json()["detail"]
