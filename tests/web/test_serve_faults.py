"""``kill -9`` of each kind of process of ``soxsvo serve`` (hardening, item 2 and figures).

The gunicorn master forks a job-worker supervisor, which forks the job workers; gunicorn
replaces its own web workers. A supervisor killed with ``kill -9`` used to stay dead, its
workers running on unsupervised; now its workers end with it (their running job in ERROR),
the master starts another supervisor, and jobs run again — no restart of the service.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import psutil
import pytest
import requests

from soxsvo.config import Settings
from tests.support import free_port, soxsvo_serve

LONG_QUERY = ("SELECT COUNT(*) AS n FROM tap_schema.columns AS a, tap_schema.columns AS b, "
              "tap_schema.columns AS c, tap_schema.columns AS d, tap_schema.columns AS e")


def _eventually(check: Callable[[], object], timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def _named(parent: psutil.Process, prefix: str) -> list[psutil.Process]:
    found = []
    for child in parent.children(recursive=True):
        try:
            if child.name().startswith(prefix):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


class Server:
    """A running ``soxsvo serve``: its URL and its processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        port = int(url.rsplit(":", 1)[1])
        self.master = next(p for p in psutil.process_iter() if _listens(p, port)
                           and any(c.name().startswith("soxsvo-uws-sup") for c in p.children()))

    def supervisor(self) -> psutil.Process | None:
        sups = [c for c in self.master.children() if c.name().startswith("soxsvo-uws-sup")]
        return sups[0] if len(sups) == 1 else None

    def job_workers(self) -> list[psutil.Process]:
        return [p for p in _named(self.master, "soxsvo-uws-") if p.name() != "soxsvo-uws-sup"]

    def health(self) -> dict:
        return requests.get(f"{self.url}/health", timeout=10).json()

    def submit(self, query: str) -> str:
        answer = requests.post(f"{self.url}/tap/async", data={
            "LANG": "ADQL", "QUERY": query, "PHASE": "RUN"}, timeout=10, allow_redirects=False)
        assert answer.status_code == 303, answer.text
        return answer.headers["Location"]

    def phase(self, job_url: str) -> str:
        return requests.get(f"{job_url}/phase", timeout=10).text.strip()


def _listens(process: psutil.Process, port: int) -> bool:
    try:
        return any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in process.net_connections("tcp"))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with soxsvo_serve(settings, free_port()) as url:
        yield Server(url)


def _live_workers(server: Server) -> int:
    return server.health()["jobs"]["live_workers"]


def test_killed_supervisor_is_replaced_and_its_job_ends(server: Server) -> None:
    assert _eventually(lambda: _live_workers(server) == 2)
    job = server.submit(LONG_QUERY)
    assert _eventually(lambda: server.phase(job) == "EXECUTING")
    old = server.supervisor()
    old_workers = {p.pid for p in server.job_workers()}
    os.kill(old.pid, signal.SIGKILL)
    # Its workers end with it; the running job ends in ERROR (not EXECUTING for ever).
    assert _eventually(lambda: not any(_alive(pid) for pid in old_workers))
    assert _eventually(lambda: server.phase(job) == "ERROR")
    new = _eventually(server.supervisor)
    assert new.pid != old.pid
    assert _eventually(lambda: len(server.job_workers()) == 2 and _live_workers(server) == 2)
    # The new supervisor holds no listening socket of the master.
    assert not _listens(new, int(server.url.rsplit(":", 1)[1]))
    again = server.submit("SELECT TOP 1 schema_name FROM tap_schema.schemas")
    assert _eventually(lambda: server.phase(again) in ("COMPLETED", "ERROR")) \
        and server.phase(again) == "COMPLETED"
    assert server.health()["status"] == "ok"


def test_killed_web_worker_is_replaced_mid_request(server: Server) -> None:
    web = [p for p in server.master.children() if not p.name().startswith("soxsvo-uws")]
    assert len(web) == 2
    os.kill(web[0].pid, signal.SIGKILL)
    # gunicorn replaces it; every request after is answered.
    assert _eventually(lambda: len([p for p in server.master.children()
                                    if not p.name().startswith("soxsvo-uws")
                                    and p.pid != web[0].pid]) == 2)
    for _ in range(20):
        answer = requests.get(f"{server.url}/tap/sync", params={
            "LANG": "ADQL", "QUERY": "SELECT TOP 1 schema_name FROM tap_schema.schemas",
            "RESPONSEFORMAT": "csv"}, timeout=30)
        assert answer.status_code == 200


def test_killed_master_is_started_again(server: Server) -> None:
    assert _eventually(lambda: _live_workers(server) == 2)
    job = server.submit(LONG_QUERY)
    assert _eventually(lambda: server.phase(job) == "EXECUTING")
    old = server.master
    everyone = [old, *old.children(recursive=True)]
    os.kill(old.pid, signal.SIGKILL)
    # Web workers, supervisor and job workers all end with the master ...
    assert _eventually(lambda: not any(_alive(p.pid) for p in everyone))
    # ... and `soxsvo serve` starts another, which answers, runs its job workers again and
    # has ended the interrupted job in ERROR.
    assert _eventually(lambda: _answers(server.url) and _live_workers(server) == 2, 120)
    assert server.phase(job) == "ERROR"
    assert Server(server.url).master.pid != old.pid


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).ok
    except requests.RequestException:
        return False
