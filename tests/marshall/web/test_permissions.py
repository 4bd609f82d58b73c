"""Who may use the Marshall: anonymous callers are sent to log in (pages) or get 401 (API);
authenticated callers without the consortium role get 403; the reader role's row-level
security hides the workflow tables from non-members even in SQL."""

from __future__ import annotations

import pytest

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader

from .conftest import CONSORTIUM, OUTSIDER

PAGES = ["/marshall/", "/marshall/inbox", "/marshall/transient/1"]
API = ["/api/lists", "/api/lists/inbox/transients", "/api/transients/1",
       "/api/transients/1/history", "/api/spectra/ADP.x"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_page_visitors_are_sent_to_login(mclient, path):
    answer = mclient.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", API)
def test_anonymous_api_callers_get_401_problems(mclient, path):
    answer = mclient.get(path)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", PAGES + API)
def test_non_members_get_403(mclient, path):
    answer = mclient.get(path, headers=OUTSIDER)
    assert answer.status_code == 403


def test_non_members_cannot_change_anything(mclient, mconn):
    for path, body in (("move", {"list": "review"}), ("priority", {"priority": 1}),
                       ("comments", {"body": "hi"})):
        answer = mclient.post(f"/api/transients/1/{path}", json=body, headers=OUTSIDER)
        assert answer.status_code == 403
    assert mconn.execute("SELECT count(*) FROM marshall.history").fetchone()[0] == 0


def test_members_see_the_pages(mclient):
    assert mclient.get("/marshall/inbox", headers=CONSORTIUM).status_code == 200


def test_session_writes_to_the_api_need_the_csrf_token(mclient, mconn):
    member = {"X-Test-User": "anna:consortium"}           # no Authorization: a browser session
    refused = mclient.post("/api/transients/1/priority", json={"priority": 1}, headers=member)
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    page = mclient.get("/marshall/transient/1", headers=member).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    accepted = mclient.post("/api/transients/1/priority", json={"priority": 1},
                            headers={**member, "X-CSRFToken": token})
    assert accepted.status_code == 200


def test_page_forms_need_the_csrf_token(mclient, mconn):
    answer = mclient.post("/marshall/transient/1/priority", data={"priority": "1"},
                          headers=CONSORTIUM)
    assert answer.status_code == 400
    assert mconn.execute("SELECT priority FROM marshall.workflow WHERE transient_id = 1"
                         ).fetchone()[0] == 3


@pytest.mark.parametrize("identity,visible", [(ANONYMOUS, 0),
                                              (Identity("olga"), 0),
                                              (Identity("anna", frozenset({"consortium"})), 12)])
def test_row_level_security_on_workflow_tables(mconn, identity, visible):
    begin_as_reader(mconn, 10, identity)
    assert mconn.execute("SELECT count(*) FROM marshall.workflow").fetchone()[0] == visible
    mconn.rollback()
