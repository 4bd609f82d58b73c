"""Hostile input never gives a 500, and every error comes in the caller's protocol's form.

Bounded runs of the fuzzers of ``tests/fuzzing.py`` (hardening, item 8 and figures): mutated
and generated ADQL, a payload in every parameter and path part of every endpoint, broken
alerts and GCN notices posted by a consortium member, broken FITS
products are in ``tests/pipeline/test_broken_cards.py``. ``benchmarks/bench_hardening.py
fuzz`` sends 10,000s of the same kinds to a running ``soxsvo serve`` (figures in docs/security.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soxsvo.access import tokens, users
from soxsvo.config import Settings
from tests import fuzzing
from tests.marshall.ingest import samples
from tests.support import app_over


@pytest.fixture
def client(settings: Settings):
    with app_over(settings) as app:
        yield app.test_client()


def _send(client, attack: fuzzing.Attack, headers: dict | None = None):
    endpoint = attack.endpoint
    if endpoint.json_body:
        return client.open(attack.path, method=endpoint.method, json=attack.params,
                           headers=headers)
    if endpoint.method == "GET":
        return client.get(attack.path, query_string=attack.params, headers=headers)
    return client.open(attack.path, method=endpoint.method, data=attack.params, headers=headers)


def _check(path: str, response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code} {response.get_data()[:300]!r}"
    if not fuzzing.response_form_ok(path, response.status_code, response.content_type or "",
                                     response.get_data()):
        return f"{response.status_code} {response.content_type}: {response.get_data()[:300]!r}"
    return None


def test_fuzzed_adql_never_500(client) -> None:
    failures = []
    for index, query in enumerate(fuzzing.adql_queries(seed=20261207, n=300)):
        answer = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query,
                                                "RESPONSEFORMAT": "votable", "MAXREC": "5"})
        if problem := _check("/tap/sync", answer):
            failures.append((index, query[:200], problem))
    assert failures == []


@pytest.mark.parametrize("payloads", [fuzzing.PAYLOADS[:10], fuzzing.PAYLOADS[10:20],
                                      fuzzing.PAYLOADS[20:]], ids=["a", "b", "c"])
def test_every_parameter_injected_never_500(client, db_conn, payloads) -> None:
    users.add_user(db_conn, "ann")
    users.grant(db_conn, "ann", role="consortium")
    member = {"Authorization": f"Bearer {tokens.create_token(db_conn, 'ann', 'fuzz')}"}
    db_conn.commit()
    failures = []
    for attack in fuzzing.injections(payloads):
        for headers in (None, member):
            if problem := _check(attack.path, _send(client, attack, headers)):
                failures.append((attack.endpoint.method, attack.path[:80], attack.target,
                                 attack.params.get(attack.target, "")[:40], problem))
    assert failures == []


def test_malformed_alerts_never_500(client, db_conn, data_dir: Path) -> None:
    users.add_user(db_conn, "ann")
    users.grant(db_conn, "ann", role="consortium")
    member = {"Authorization": f"Bearer {tokens.create_token(db_conn, 'ann', 'fuzz')}"}
    db_conn.commit()
    packet = (data_dir / samples.ZTF_DIR / "alerts" / samples.ZTF_PACKET).read_bytes()
    failures = []
    for index, (kind, body) in enumerate(fuzzing.malformed_alerts(7, 150, packet)):
        answer = client.post("/api/alerts", data=body, content_type=kind, headers=member)
        if problem := _check("/api/alerts", answer):
            failures.append((index, kind, problem))
    assert failures == []
