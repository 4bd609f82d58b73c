"""API tokens over real HTTP: Bearer and HTTP Basic work; every bad credential is a 401 with a
clear reason and no data, in the form of the service asked (DALI VOTable, JSON problem, text)."""

from __future__ import annotations

import base64
import io

import psycopg
import pytest
import pyvo
import requests
from astropy.io import votable

from soxsvo.access import tokens, users

QUERY = "SELECT obs_publisher_did FROM ivoa.obscore"


def _token(archive, *, expired: bool = False, revoked: bool = False) -> str:
    with psycopg.connect(archive.settings.database_url) as conn:
        text = tokens.create_token(conn, "pia", "test")
        token_id = text.split("_")[1]
        if expired:
            conn.execute("UPDATE auth.token SET created = now() - interval '2 days', "
                         "expires = now() - interval '1 day' WHERE token_id = %s", (token_id,))
            conn.commit()
        if revoked:
            assert tokens.revoke_token(conn, token_id, "pia")
    return text


def _bad_headers(archive) -> dict[str, tuple[str, str]]:
    good = archive.tokens["pia"]
    basic = lambda user, password: "Basic " + base64.b64encode(  # noqa: E731
        f"{user}:{password}".encode()).decode()
    return {
        "expired": (f"Bearer {_token(archive, expired=True)}", "expired"),
        "revoked": (f"Bearer {_token(archive, revoked=True)}", "revoked"),
        "malformed": ("Bearer not-a-token", "malformed"),
        "unknown": ("Bearer sxv_000000000000_" + "A" * 43, "unknown"),
        "tampered": (f"Bearer {good[:-4]}AAAA", "unknown"),
        "wrong scheme": (f"Token {good}", "unsupported authorization scheme"),
        "basic, another user": (basic("member", good), "does not belong"),
        "basic, not base64": ("Basic !!!", "malformed"),
        "basic, password not token": (basic("pia", "correct horse battery"), "malformed"),
    }


@pytest.fixture(scope="module")
def bad_headers(access_archive) -> dict[str, tuple[str, str]]:
    return _bad_headers(access_archive)


CASES = ["expired", "revoked", "malformed", "unknown", "tampered", "wrong scheme",
         "basic, another user", "basic, not base64", "basic, password not token"]


@pytest.mark.parametrize("case", CASES)
def test_bad_credentials_on_tap_are_a_dali_401(access_archive, access_server, bad_headers,
                                               case) -> None:
    header, reason = bad_headers[case]
    answer = requests.get(f"{access_server}/tap/sync", timeout=30,
                          params={"LANG": "ADQL", "QUERY": QUERY},
                          headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/x-votable+xml")
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    document = votable.parse(io.BytesIO(answer.content), verify="ignore")
    status = [info for info in document.resources[0].infos if info.name == "QUERY_STATUS"][0]
    assert status.value == "ERROR" and reason in status.content
    assert not document.resources[0].tables
    assert "ivo://" not in answer.text  # no product identifier, i.e. no data


@pytest.mark.parametrize("case", ["expired", "revoked", "malformed", "wrong scheme"])
def test_bad_credentials_elsewhere_are_a_401_in_that_service_language(
        access_server, bad_headers, case) -> None:
    header, reason = bad_headers[case]
    api = requests.get(f"{access_server}/api/products", timeout=30,
                       headers={"Authorization": header})
    assert api.status_code == 401
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.json()["status"] == 401 and reason in api.json()["detail"]
    page = requests.get(f"{access_server}/", headers={"Authorization": header}, timeout=30)
    assert page.status_code == 401 and page.headers["Content-Type"].startswith("text/plain")
    assert reason in page.text and "ADP." not in page.text
    moc = requests.get(f"{access_server}/moc/space", headers={"Authorization": header},
                       timeout=30)
    assert moc.status_code == 401 and "votable" in moc.headers["Content-Type"]


def test_pyvo_with_http_basic_and_a_token(access_archive, access_server) -> None:
    # What TOPCAT and pyvo's own credential store send: the login and the token as password.
    session = requests.Session()
    session.auth = ("pia", access_archive.tokens["pia"])
    service = pyvo.dal.TAPService(f"{access_server}/tap", session=session)
    dids = {str(d) for d in service.search(QUERY)["obs_publisher_did"]}
    assert access_archive.products["own_a"].did in dids
    assert access_archive.products["other"].did not in dids


def test_revoking_a_token_or_disabling_a_user_takes_effect_at_once(
        access_archive, access_server) -> None:
    with psycopg.connect(access_archive.settings.database_url) as conn:
        users.add_user(conn, "leaving", None, "Leaving soon")
        users.grant(conn, "leaving", role="consortium")
        first, second = (tokens.create_token(conn, "leaving") for _ in range(2))
    url = f"{access_server}/files/{access_archive.products['consortium'].dp_id}"
    assert requests.get(url, headers={"Authorization": f"Bearer {first}"},
                        timeout=30).status_code == 200
    with psycopg.connect(access_archive.settings.database_url) as conn:
        tokens.revoke_token(conn, first.split("_")[1])
    assert requests.get(url, headers={"Authorization": f"Bearer {first}"},
                        timeout=30).status_code == 401
    with psycopg.connect(access_archive.settings.database_url) as conn:
        users.revoke(conn, "leaving", role="consortium")
    assert requests.get(url, headers={"Authorization": f"Bearer {second}"},
                        timeout=30).status_code == 404
    with psycopg.connect(access_archive.settings.database_url) as conn:
        users.set_active(conn, "leaving", False)
    answer = requests.get(url, headers={"Authorization": f"Bearer {second}"}, timeout=30)
    assert answer.status_code == 401 and "disabled" in answer.text


def test_tokens_are_stored_hashed(access_archive) -> None:
    with psycopg.connect(access_archive.settings.database_url) as conn:
        stored = conn.execute("SELECT token_id, secret_hash FROM auth.token").fetchall()
    texts = set(access_archive.tokens.values())
    secrets_ = {t.split("_", 2)[2] for t in texts}
    assert stored and not {h for _, h in stored} & secrets_
    assert {t.split("_")[1] for t in texts} <= {i for i, _ in stored}
