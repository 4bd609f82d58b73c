"""Fair use: beyond a client's cap on concurrent sync queries or active async jobs the answer
is an immediate 429 DALI error with Retry-After; the slot frees when the query ends.

What pyvo 1.9 makes of it: for an async job it raises DALRateLimitError carrying the
Retry-After seconds; for a sync query it reads the DALI error VOTable and raises
DALQueryError with the service's message (pyvo keeps Retry-After only when the body is not
a VOTable)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import pyvo
import requests
from flask import g
from werkzeug.serving import make_server

from soxsvo.access import Identity
from soxsvo.web.context import current_client as client_key


@pytest.fixture
def capped_server(uws_settings_factory) -> Iterator[str]:
    """soxsvo over this test's database with one sync query per client and a 6 s sync
    timeout (so the long query ends by itself), served over HTTP."""
    from soxsvo.web.app import create_app

    settings = uws_settings_factory(TAP_MAX_SYNC_PER_CLIENT="1", QUERY_SYNC_TIMEOUT="6",
                                    TAP_MAX_JOBS_PER_CLIENT="1")
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    settings.values["base_url"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    pool = app.extensions["soxsvo_pool"]["pool"]
    if pool is not None:
        pool.close()


def _long_query(url: str, query: str, answers: list) -> None:
    answers.append(requests.post(f"{url}/tap/sync", data={"LANG": "ADQL", "QUERY": query},
                                 timeout=60))


def test_second_concurrent_sync_query_gets_429_with_retry_after(capped_server, uws) -> None:
    service = pyvo.dal.TAPService(f"{capped_server}/tap")
    answers: list = []
    running = threading.Thread(target=_long_query,
                               args=(capped_server, uws.long_query, answers))
    running.start()
    try:
        time.sleep(1.5)  # the long query is now executing and holds the client's slot
        started = time.monotonic()
        with pytest.raises(pyvo.dal.DALQueryError, match="synchronous queries at once"):
            service.run_sync("SELECT TOP 1 table_name FROM tap_schema.tables")
        assert time.monotonic() - started < 3, "the refusal must be immediate"
        raw = requests.get(f"{capped_server}/tap/sync", params={
            "LANG": "ADQL", "QUERY": "SELECT TOP 1 table_name FROM tap_schema.tables"},
            timeout=10)
        assert raw.status_code == 429
        assert raw.headers["Retry-After"] == "5"
        assert raw.headers["Content-Type"].startswith("application/x-votable+xml")
        assert 'name="QUERY_STATUS" value="ERROR"' in raw.text
    finally:
        running.join(60)
    # The long query hit its time limit; its slot is free again.
    assert answers and answers[0].status_code == 400
    assert "time limit" in answers[0].text
    result = service.run_sync("SELECT TOP 1 table_name FROM tap_schema.tables")
    assert len(result) == 1


def test_pyvo_async_job_over_the_limit_gets_retry_after(capped_server) -> None:
    service = pyvo.dal.TAPService(f"{capped_server}/tap")
    query = "SELECT TOP 1 table_name FROM tap_schema.tables"
    first = service.submit_job(query)
    first.run()  # no worker in this test: it stays QUEUED, the client's one active job
    second = service.submit_job(query)
    started = time.monotonic()
    with pytest.raises(pyvo.dal.DALRateLimitError) as refused:
        second.run()
    assert time.monotonic() - started < 3
    assert refused.value.code == 429
    assert refused.value.retry_after_seconds == 30
    assert second.phase == "PENDING"
    first.abort()
    second.run()  # the slot is free again
    assert second.phase == "QUEUED"
    for job in (first, second):
        job.delete()


def test_fair_use_client_is_the_user_when_authenticated(uws_app) -> None:
    with uws_app.test_request_context("/tap/sync", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert client_key() == "addr:192.0.2.7"
        g.identity = Identity(user="alice")
        assert client_key() == "user:alice"
