"""Job workers that die come back (hardening, item 2).

``kill -9`` of a UWS job worker used to leave it defunct, its job EXECUTING with its query
still running, and — with every worker killed — new jobs QUEUED forever while ``/health``
said ok. ``soxsvo serve`` now runs its job workers under a supervisor that replaces a dead
one within seconds; the replacement ends the dead one's job in ERROR and stops its query.
"""

from __future__ import annotations

import os
import signal

import psycopg

from soxsvo.tap.uws.jobs import queue_state
from soxsvo.tap.uws.worker import RESTART_MESSAGE, start_supervised, stop_workers


def _workers(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return dict(conn.execute("SELECT worker_id, os_pid FROM uws.worker").fetchall())


def _live(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return queue_state(conn)["live_workers"]


def test_killed_workers_are_replaced_and_their_job_ends(uws, uws_client, settings,
                                                         db_conninfo) -> None:
    supervisor = start_supervised(settings, 2)
    try:
        assert uws.eventually(lambda: _live(db_conninfo) == 2, timeout=60)
        job_id = uws.create(uws.long_query, PHASE="RUN")
        assert uws.wait_for(job_id, {"EXECUTING"}, timeout=60) == "EXECUTING"
        with psycopg.connect(db_conninfo) as conn:
            worker_id = conn.execute("SELECT worker_id FROM uws.job WHERE job_id = %s",
                                     (job_id,)).fetchone()[0]
        os.kill(_workers(db_conninfo)[worker_id], signal.SIGKILL)
        # Its replacement reaps the job at once: ERROR, with the documented message.
        assert uws.wait_for(job_id, {"ERROR"}, timeout=60) == "ERROR"
        message = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(
            f"{uws.ns}errorSummary/{uws.ns}message").text
        assert message == RESTART_MESSAGE
        assert uws.eventually(lambda: _live(db_conninfo) == 2, timeout=60)
        # Every worker killed: they come back and run new jobs.
        for pid in _workers(db_conninfo).values():
            os.kill(pid, signal.SIGKILL)
        job2 = uws.create("SELECT TOP 1 * FROM tap_schema.schemas", PHASE="RUN")
        assert uws.wait_for(job2, {"COMPLETED", "ERROR"}, timeout=90) == "COMPLETED"
        assert supervisor.is_alive()
    finally:
        stop_workers([supervisor], timeout=20)
    assert supervisor.exitcode == 0
    assert uws.eventually(lambda: _workers(db_conninfo) == {}, timeout=30)


def test_queue_without_live_worker_is_stuck(uws, db_conninfo) -> None:
    # What /health reports (503 "degraded") once queued jobs wait longer than a heartbeat
    # period with no live worker; here with no grace period.
    uws.create("SELECT TOP 1 * FROM tap_schema.schemas", PHASE="RUN")
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        state = queue_state(conn, stale_s=0.0)
    assert state == {"live_workers": 0, "queued": 1, "executing": 0, "stuck": 1}
