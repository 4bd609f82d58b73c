"""CSRF: a state change authenticated by the browser's session cookie needs this site's CSRF
token on every path (hardening, item 3); an API token in ``Authorization`` needs none.

The attack: a page on another origin of the same site (SameSite=Lax lets the cookie through)
posted a multipart form to ``POST /api/alerts`` and created a transient in the name of a
logged-in consortium member.
"""

from __future__ import annotations

import base64
import io
import re

import pytest

from soxsvo.access import tokens, users
from tests.marshall.ingest import samples
from tests.support import app_over

PASSWORD = "correct horse battery"
#: What a browser adds to a form another origin of the same site submits.
FROM_SIBLING_ORIGIN = {"Origin": "http://wiki.127.0.0.1.example", "Sec-Fetch-Site": "same-site",
                       "Sec-Fetch-Mode": "navigate"}


@pytest.fixture
def app(settings, db_conn):
    users.add_user(db_conn, "mia", PASSWORD, "Member")
    users.grant(db_conn, "mia", role="consortium")
    with app_over(settings) as app:
        yield app


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def browser(app):
    """A test client logged in as the consortium member ``mia`` with her password."""
    client = app.test_client()
    answer = client.post("/login", data={
        "login": "mia", "password": PASSWORD, "next": "/",
        "csrf_token": _csrf(client.get("/login").get_data(as_text=True))})
    assert answer.status_code == 303
    return client


def _alert_form(name: str) -> dict:
    # Each name at its own place: alerts within the association radius are one transient.
    ra = 10.0 + sum(name.encode()) % 300
    return {"file": (io.BytesIO(samples.gaia_alerts([(name, ra, 20.0, 18.0, "")])),
                     "alerts.csv")}


def _transients(db_conn) -> list[str]:
    names = [r[0] for r in db_conn.execute("SELECT name FROM marshall.transient ORDER BY name")]
    db_conn.commit()
    return names


def test_a_sibling_origins_form_cannot_ingest_alerts_with_the_session(browser, db_conn) -> None:
    forged = browser.post("/api/alerts?source=gaia", data=_alert_form("Gaia26csrf"),
                          content_type="multipart/form-data", headers=FROM_SIBLING_ORIGIN)
    assert forged.status_code == 400, forged.get_data(as_text=True)
    assert forged.mimetype == "application/problem+json"
    assert forged.json["title"] == "CSRF token missing or invalid"
    assert _transients(db_conn) == []
    # This site's own page (its token in X-CSRFToken) may do it in the member's name.
    token = _csrf(browser.get("/account").get_data(as_text=True))
    own = browser.post("/api/alerts?source=gaia", data=_alert_form("Gaia26own"),
                       content_type="multipart/form-data", headers={"X-CSRFToken": token})
    assert own.status_code == 200, own.get_data(as_text=True)
    assert _transients(db_conn) == ["Gaia26own"]


def test_api_tokens_need_no_csrf_token(app, db_conn) -> None:
    token = tokens.create_token(db_conn, "mia", "broker")
    client = app.test_client()
    bearer = client.post("/api/alerts?source=gaia", data=_alert_form("Gaia26bearer"),
                         content_type="multipart/form-data",
                         headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200, bearer.get_data(as_text=True)
    basic = base64.b64encode(f"mia:{token}".encode()).decode()
    answer = client.post("/api/alerts?source=gaia", data=_alert_form("Gaia26basic"),
                         content_type="multipart/form-data",
                         headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert _transients(db_conn) == ["Gaia26basic", "Gaia26bearer"]


def test_basic_credentials_a_browser_resends_for_another_site_are_refused(app,
                                                                         db_conn) -> None:
    # A browser that once answered a Basic prompt sends the credentials by itself, like a
    # cookie; its Sec-Fetch-Site header then tells that another site made the request.
    token = tokens.create_token(db_conn, "mia", "typed into the browser")
    basic = {"Authorization": "Basic " + base64.b64encode(f"mia:{token}".encode()).decode()}
    client = app.test_client()
    for site in ("cross-site", "same-site"):
        answer = client.post("/api/alerts?source=gaia", data=_alert_form(f"Gaia26{site}"),
                             content_type="multipart/form-data",
                             headers={**basic, "Sec-Fetch-Site": site})
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    same = client.post("/api/alerts?source=gaia", data=_alert_form("Gaia26same"),
                       content_type="multipart/form-data",
                       headers={**basic, "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    assert _transients(db_conn) == ["Gaia26same"]


def test_a_sibling_origin_cannot_start_or_delete_async_jobs_with_the_session(browser, app,
                                                                            db_conn) -> None:
    query = {"LANG": "ADQL", "QUERY": "SELECT TOP 1 * FROM ivoa.obscore"}
    forged = browser.post("/tap/async", data=query, headers=FROM_SIBLING_ORIGIN)
    assert forged.status_code == 400
    assert forged.mimetype == "application/x-votable+xml"
    assert b"CSRF token missing" in forged.data and b'value="ERROR"' in forged.data
    assert db_conn.execute("SELECT count(*) FROM uws.job").fetchone()[0] == 0
    db_conn.commit()
    # A query changes nothing (and CORS lets no other site read its answer): a session's
    # POST to /tap/sync needs no token (pyvo with a logged-in requests session sends those).
    query_now = browser.post("/tap/sync", data=query, headers=FROM_SIBLING_ORIGIN)
    assert query_now.status_code == 200, query_now.get_data(as_text=True)
    # An anonymous program needs no token, and its job is nobody's.
    made = app.test_client().post("/tap/async", data=query)
    assert made.status_code == 303
    job = made.headers["Location"].rstrip("/").split("/")[-1]
    assert db_conn.execute("SELECT owner FROM uws.job WHERE job_id = %s",
                           (job,)).fetchone() == (None,)
    db_conn.commit()


def test_marshall_api_writes_with_the_session_need_the_token(browser, db_conn) -> None:
    # (The Marshall's own tests cover the accepted case.)
    answer = browser.post("/api/transients/1/priority", json={"priority": 1},
                          headers=FROM_SIBLING_ORIGIN)
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"


def test_page_forms_are_refused_with_a_styled_page(browser) -> None:
    answer = browser.post("/account/tokens", data={"name": "x"}, headers=FROM_SIBLING_ORIGIN)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert 'id="refusal"' in page and "soxsvo.css" in page
    assert "CSRF token missing or invalid" in page
