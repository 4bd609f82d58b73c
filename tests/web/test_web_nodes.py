"""Web nodes (issue 21, "Roles and nodes"): ``soxsvo serve --role web`` on two ports over one
database and one data directory, as behind a load balancer.

What one node knows the other knows: a login session made on one is valid on the other (and
a logout on one ends it on both), a client's async job quota counts its jobs on both; and a
node told to stop says "draining" on ``/health/ready`` while it still serves.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import psycopg
import pytest
import requests

from soxsvo.access import users
from tests.support import free_port, served_node, soxsvo_serve

PASSWORD = "correct horse battery"
#: Web nodes run no job workers: a job submitted to either stays QUEUED and counts.
QUOTA_ENV = {"SOXSVO_TAP_MAX_JOBS_PER_CLIENT": "1"}


@pytest.fixture
def two_nodes(settings, db_conn):
    """Two web nodes over this test's database, with the member ``mia``."""
    users.add_user(db_conn, "mia", PASSWORD, "Member")
    users.grant(db_conn, "mia", role="consortium")
    db_conn.commit()
    with (soxsvo_serve(settings, free_port(), role="web", env=QUOTA_ENV) as one,
          soxsvo_serve(settings, free_port(), role="web", env=QUOTA_ENV) as two):
        yield one, two


def _log_in(browser: requests.Session, url: str) -> None:
    page = browser.get(f"{url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{url}/login", timeout=30, allow_redirects=False, data={
        "login": "mia", "password": PASSWORD, "next": "/", "csrf_token": token})
    assert answer.status_code == 303, answer.text


def _account(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(f"{url}/account", timeout=30, allow_redirects=False)


def test_session_made_on_one_web_node_is_valid_on_the_other(two_nodes) -> None:
    one, two = two_nodes
    browser = requests.Session()  # cookies are per host, not per port: as behind one name
    assert _account(browser, two).status_code != 200
    _log_in(browser, one)
    answer = _account(browser, two)
    assert answer.status_code == 200
    assert "mia" in answer.text
    # Logging out on the second ends the session on the first too (it is in the database).
    cookies = dict(browser.cookies)
    page = _account(browser, two).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert browser.post(f"{two}/logout", data={"csrf_token": token}, timeout=30,
                        allow_redirects=False).status_code == 303
    assert _account(requests.Session(), one).status_code != 200
    stale = requests.Session()
    stale.cookies.update(cookies)
    assert _account(stale, one).status_code != 200


def test_async_quota_counts_across_web_nodes(two_nodes) -> None:
    one, two = two_nodes
    query = {"LANG": "ADQL", "QUERY": "SELECT TOP 1 * FROM tap_schema.schemas", "PHASE": "RUN"}
    first = requests.post(f"{one}/tap/async", data=query, timeout=30, allow_redirects=False)
    assert first.status_code == 303
    second = requests.post(f"{two}/tap/async", data=query, timeout=30, allow_redirects=False)
    assert second.status_code == 429
    assert second.headers["Retry-After"]


def _health(settings, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=settings.database_url)
    return subprocess.run([sys.executable, "-m", "soxsvo.cli", "health", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_web_node_runs_no_job_workers(settings, db_conninfo) -> None:
    with soxsvo_serve(settings, free_port(), role="web") as url:
        assert requests.get(f"{url}/health/ready", timeout=30).status_code == 200
        with psycopg.connect(db_conninfo, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM uws.worker").fetchone()[0] == 0
        assert _health(settings, "--role", "web", "--url", url).returncode == 0
        assert _health(settings, "--role", "jobs").returncode == 1
    nobody = f"http://127.0.0.1:{free_port()}"
    gone = _health(settings, "--role", "web", "--url", nobody)
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"soxsvo: unhealthy: {nobody} does not answer")


def test_web_node_says_draining_before_it_stops(settings) -> None:
    # Long enough that the node is still serving when we look; a second SIGTERM (the
    # fixture's) cuts the drain short.
    env = {"SOXSVO_SERVE_DRAIN_SECONDS": "60"}
    with served_node(settings, free_port(), role="web", env=env) as (url, node):
        assert requests.get(f"{url}/health/ready", timeout=30).status_code == 200
        node.send_signal(signal.SIGTERM)
        ready = _until(lambda: requests.get(f"{url}/health/ready", timeout=30),
                       lambda answer: answer.status_code != 200)
        assert ready.status_code == 503
        assert ready.json()["status"] == "draining"
        # Still serving meanwhile: the balancer moves away, requests in flight are answered.
        assert requests.get(f"{url}/health", timeout=30).status_code in (200, 503)
        assert requests.get(f"{url}/tap/capabilities", timeout=30).status_code == 200
    assert node.returncode == 128 + signal.SIGTERM


def _until(call, done, attempts: int = 300):
    """``call()`` again (every 0.2 s) until ``done`` of its answer; that answer."""
    import time

    for _ in range(attempts):
        answer = call()
        if done(answer):
            return answer
        time.sleep(0.2)
    raise AssertionError("the condition never held")
