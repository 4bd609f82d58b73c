"""Sessions end on the server: a session cookie captured before logout, a password change or
``soxsvo user revoke --disable`` is worthless afterwards (hardening, item 5)."""

from __future__ import annotations

import hashlib
import re

import pytest
import requests

from soxsvo.access import users
from tests.support import app_over

from .matrix import PASSWORD
from .test_cli_user import _soxsvo


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_cookie_captured_before_logout_no_longer_downloads(access_archive,
                                                           access_server) -> None:
    """The attack of the issue, against `soxsvo serve`: the PI of programme A logs in and
    downloads a proprietary file of A; someone copies her session cookie; she logs out."""
    browser = requests.Session()
    page = browser.get(f"{access_server}/login", timeout=30).text
    answer = browser.post(f"{access_server}/login", timeout=30, data={
        "login": "pia", "password": PASSWORD, "next": "/", "csrf_token": _csrf(page)})
    assert answer.status_code == 200 and answer.url == f"{access_server}/"
    own = f"{access_server}/files/{access_archive.products['own_a'].dp_id}"
    assert browser.get(own, timeout=30).status_code == 200
    captured = browser.cookies.get("session")
    assert captured

    page = browser.get(f"{access_server}/account", timeout=30).text
    browser.post(f"{access_server}/logout", data={"csrf_token": _csrf(page)}, timeout=30)

    thief = requests.Session()
    thief.cookies.set("session", captured)
    assert thief.get(own, timeout=30).status_code == 404
    assert thief.get(f"{access_server}/account", allow_redirects=False,
                     timeout=30).status_code == 302


@pytest.fixture
def app(settings):
    with app_over(settings) as app:
        yield app


@pytest.fixture
def ann(db_conn) -> str:
    users.add_user(db_conn, "ann", PASSWORD, "Ann")
    users.grant(db_conn, "ann", programme="117.AAAA.001", capacity="pi")
    return "ann"


def _logged_in(app, password: str = PASSWORD):
    """A client logged in as ann, and a copy of its session cookie in another client."""
    client = app.test_client()
    answer = client.post("/login", data={
        "login": "ann", "password": password, "next": "/account",
        "csrf_token": _csrf(client.get("/login").get_data(as_text=True))})
    assert answer.status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/account").status_code == 200
    return client, thief


def test_a_password_change_ends_every_session(app, ann, settings) -> None:
    client, thief = _logged_in(app)
    new = "a much better passphrase"
    done = _soxsvo(settings, "passwd", "ann", stdin=f"{new}\n{new}\n")
    assert done.returncode == 0, done.stderr
    assert client.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302
    # The new password logs in again.
    client, _ = _logged_in(app, new)
    assert client.get("/account").status_code == 200


def test_disabling_the_account_ends_its_sessions_for_good(app, ann, settings,
                                                          db_conn) -> None:
    _, thief = _logged_in(app)
    done = _soxsvo(settings, "revoke", "ann", "--disable")
    assert done.returncode == 0, done.stderr
    assert thief.get("/account").status_code == 302
    # Enabled again, the account must log in anew: the old session is gone, not suspended.
    users.set_active(db_conn, "ann", True)
    assert thief.get("/account").status_code == 302
    assert db_conn.execute("SELECT count(*) FROM auth.session").fetchone()[0] == 0


def test_logout_ends_only_its_own_session(app, ann) -> None:
    laptop, laptop_copy = _logged_in(app)
    desktop, _ = _logged_in(app)
    page = laptop.get("/account").get_data(as_text=True)
    assert laptop.post("/logout", data={"csrf_token": _csrf(page)}).status_code == 303
    assert laptop_copy.get("/account").status_code == 302
    assert desktop.get("/account").status_code == 200


def test_idle_and_old_sessions_end(app, ann, db_conn) -> None:
    client, _ = _logged_in(app)
    db_conn.execute("UPDATE auth.session SET last_seen = now() - interval '13 hours'")
    db_conn.commit()
    assert client.get("/account").status_code == 302
    client, _ = _logged_in(app)
    db_conn.execute("UPDATE auth.session SET created = now() - interval '8 days', "
                    "expires = now() - interval '1 day'")
    db_conn.commit()
    assert client.get("/account").status_code == 302


def test_the_database_keeps_only_a_hash_of_the_session_id(app, ann, db_conn) -> None:
    client, _ = _logged_in(app)
    cookie = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value)
    stored = db_conn.execute("SELECT session_hash, login FROM auth.session").fetchall()
    assert stored == [(hashlib.sha256(cookie["sid"].encode()).hexdigest(), "ann")]
