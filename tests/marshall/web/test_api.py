"""The REST API, checked against its own OpenAPI document (openapi-spec-validator for the
document, openapi-core for every real request and response below)."""

from __future__ import annotations

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from .conftest import CONSORTIUM


@pytest.fixture
def spec(mclient):
    document = mclient.get("/api/openapi.json").get_json()
    validate(document)
    # Problem documents are JSON under their own media type.
    return OpenAPI.from_dict(document, config=Config(
        extra_media_type_deserializers={"application/problem+json": json.loads}))


@pytest.fixture
def call(mclient, spec):
    """Make a request; check request and response against the document; return the response."""
    def run(method: str, path: str, **kwargs):
        kwargs.setdefault("headers", CONSORTIUM)
        # The same request again, unread, for the validator (the app consumed the first).
        request = Request(EnvironBuilder(path=path, method=method, **kwargs).get_environ())
        response = mclient.open(path, method=method, **kwargs)
        openapi_request = WerkzeugOpenAPIRequest(request)
        openapi_response = WerkzeugOpenAPIResponse(response)
        spec.validate_response(openapi_request, openapi_response)
        return response
    return run


def _first(call, list_name="inbox", **params):
    answer = call("GET", f"/api/lists/{list_name}/transients", query_string=params)
    assert answer.status_code == 200
    return answer.get_json()


def test_lists_and_paging(call):
    counts = {x["name"]: x["count"] for x in call("GET", "/api/lists").get_json()["lists"]}
    assert counts["inbox"] == 12 and sum(counts.values()) == 12
    page1 = _first(call, page_size=5, sort="name", order="asc")
    page3 = _first(call, page_size=5, page=3, sort="name", order="asc")
    assert page1["total"] == 12 and page1["pages"] == 3
    names = [t["name"] for t in page1["transients"]] + [t["name"] for t in page3["transients"]]
    assert names[:5] == sorted(names[:5]) and len(page3["transients"]) == 2
    assert not set(names[:5]) & set(names[5:])


def test_filters(call, mconn):
    ra, dec, name = mconn.execute(
        "SELECT ra, dec, name FROM marshall.transient ORDER BY transient_id LIMIT 1").fetchone()
    cone = _first(call, ra=ra, dec=dec, radius=0.01)["transients"]
    assert [t["name"] for t in cone] == [name]
    median = mconn.execute("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY current_mag) "
                           "FROM marshall.transient").fetchone()[0]
    bright = _first(call, mag_max=median)["transients"]
    assert bright and all(t["current_mag"] <= median for t in bright)
    assert len(bright) < 12
    ztf = mconn.execute("SELECT name FROM marshall.alias WHERE survey='ZTF' LIMIT 1").fetchone()
    assert [t["name"] for t in _first(call, q=ztf[0].lower())["transients"]] == [
        mconn.execute("SELECT t.name FROM marshall.transient t JOIN marshall.alias a "
                      "USING (transient_id) WHERE a.name = %s", ztf).fetchone()[0]]
    unclassified = _first(call, classification="unclassified")["transients"]
    assert all(t["classification"] is None for t in unclassified)
    bad = call("GET", "/api/lists/inbox/transients", query_string={"mag_max": "bright"})
    assert bad.status_code == 422 and "mag_max" in bad.get_json()["detail"]
    assert call("GET", "/api/lists/limbo/transients").status_code == 404


def test_triage_through_the_api(call):
    tid = _first(call, page_size=1)["transients"][0]["transient_id"]
    moved = call("POST", f"/api/transients/{tid}/move", json={"list": "review"})
    assert moved.get_json() == {"transient_id": tid, "previous_list": "inbox", "list": "review"}
    refused = call("POST", f"/api/transients/{tid}/move", json={"list": "complete"})
    assert refused.status_code == 409
    assert call("POST", f"/api/transients/{tid}/move", json={"list": "followup"}).status_code \
        == 200
    assert call("POST", f"/api/transients/{tid}/priority",
                json={"priority": 1}).get_json()["previous_priority"] == 3
    assert call("POST", f"/api/transients/{tid}/priority",
                json={"priority": 9}).status_code == 422
    classified = call("POST", f"/api/transients/{tid}/classification",
                      json={"type": "SN Ic-BL", "redshift": 0.02, "phase_days": 4})
    assert classified.status_code == 201
    commented = call("POST", f"/api/transients/{tid}/comments",
                     json={"body": "@ben spectrum tonight?"})
    assert commented.status_code == 201 and commented.get_json()["mentions"] == ["ben"]
    detail = call("GET", f"/api/transients/{tid}").get_json()
    assert (detail["list"], detail["priority"], detail["classification"]) == (
        "followup", 1, "SN Ic-BL")
    assert detail["comments"][0]["body"] == "@ben spectrum tonight?"
    assert detail["photometry"] and detail["aliases"]
    history = call("GET", f"/api/transients/{tid}/history").get_json()["history"]
    assert [h["action"] for h in history] == ["comment", "classify", "prioritise", "move",
                                              "move"]
    assert {h["actor"] for h in history} == {"anna"}


def test_spectra_of_a_transient_are_listed_and_served(call, mconn):
    with_spectra = mconn.execute(
        "SELECT DISTINCT ob.transient_id FROM soxs.observation ob JOIN ivoa.obscore o "
        "USING (obs_id) WHERE soxs.is_released(o.obs_release_date) LIMIT 1").fetchone()
    assert with_spectra, "the demo archive should hold a released spectrum"
    detail = call("GET", f"/api/transients/{with_spectra[0]}").get_json()
    assert detail["spectra"]
    series = call("GET", f"/api/spectra/{detail['spectra'][0]['dp_id']}").get_json()
    assert 100 < len(series["wave_nm"]) <= 3000
    assert series["wave_nm"] == sorted(series["wave_nm"])
    assert call("GET", "/api/spectra/ADP.none").status_code == 404


def test_bad_bodies_are_problems(call):
    tid = _first(call, page_size=1)["transients"][0]["transient_id"]
    for path, body in (("move", {"list": 3}), ("priority", {"priority": "1"}),
                       ("classification", {"type": "SN Zz"}), ("comments", {"body": " "})):
        answer = call("POST", f"/api/transients/{tid}/{path}", json=body)
        assert answer.status_code == 422, path
        assert answer.mimetype == "application/problem+json"
    assert call("GET", "/api/transients/999999").status_code == 404


def test_reporting_to_tns_makes_a_classification_public(call, mconn):
    from soxsvo.access import ANONYMOUS, begin_as_reader

    tid = _first(call, page_size=1, classification="unclassified")["transients"][0][
        "transient_id"]
    classified = call("POST", f"/api/transients/{tid}/classification",
                      json={"type": "kilonova", "redshift": 0.0098})
    cid = classified.get_json()["classification_id"]

    def public() -> tuple:
        begin_as_reader(mconn, 10, ANONYMOUS)
        row = mconn.execute("SELECT t.classification, t.redshift, (SELECT count(*) FROM "
                            "marshall.classification c WHERE c.transient_id = t.transient_id) "
                            "FROM marshall.transient t WHERE transient_id = %s",
                            (tid,)).fetchone()
        mconn.rollback()
        return row

    assert public() == (None, None, 0)
    detail = call("GET", f"/api/transients/{tid}").get_json()
    assert (detail["classification"], detail["public_classification"]) == ("kilonova", None)
    reported = call("POST", f"/api/transients/{tid}/classifications/{cid}/tns",
                    json={"reported_at": "2026-01-02T03:04:05"})
    assert reported.status_code == 200
    assert reported.get_json()["reported_to_tns_at"] == "2026-01-02T03:04:05+00:00"
    assert public() == ("kilonova", 0.0098, 1)
    again = call("POST", f"/api/transients/{tid}/classifications/{cid}/tns", json={})
    assert again.status_code == 409
    assert call("POST", f"/api/transients/{tid}/classifications/{cid + 99}/tns",
                json={}).status_code == 404
    history = call("GET", f"/api/transients/{tid}/history").get_json()["history"]
    assert [h["action"] for h in history] == ["report", "classify"]


def test_a_hidden_spectrum_is_answered_like_a_missing_one(call, mconn):
    # A proprietary product of the demo's non-consortium programme: members may not see it.
    hidden = mconn.execute(
        "UPDATE ivoa.obscore SET proposal_id = p.proposal_id, data_rights = 'proprietary', "
        "obs_release_date = (now() AT TIME ZONE 'UTC') + interval '1 year' "
        "FROM soxs.programme p WHERE NOT p.consortium AND ivoa.obscore.dp_id = "
        "(SELECT min(dp_id) FROM ivoa.obscore) RETURNING ivoa.obscore.dp_id").fetchone()
    mconn.commit()
    tid = _first(call, page_size=1)["transients"][0]["transient_id"]
    details = set()
    for dp_id in (hidden[0], "ADP.2099-01-01T00:00:00.000"):
        answer = call("POST", f"/api/transients/{tid}/classification",
                      json={"type": "SN Ia", "spectrum_dp_id": dp_id})
        assert answer.status_code == 422
        details.add(answer.get_json()["detail"].replace(dp_id, "<id>"))
    assert len(details) == 1
    assert mconn.execute("SELECT count(*) FROM marshall.classification").fetchone()[0] == 0
