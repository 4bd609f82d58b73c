"""A restart loses no job: a job whose worker died ends in ERROR with the documented message."""

from __future__ import annotations

import os
import signal

import psycopg

from soxsvo.tap.uws.worker import RESTART_MESSAGE, start_workers, stop_workers


def _query_backend_alive(conninfo: str, pid: int) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND "
                            "state = 'active'", (pid,)).fetchone()[0] == 1


def test_killed_worker_job_ends_in_error_after_restart(uws, uws_client, uws_workers, settings,
                                                       db_conninfo):
    processes = start_workers(settings, 1)
    try:
        job_id = uws.create(uws.long_query, PHASE="RUN")
        assert uws.wait_for(job_id, {"EXECUTING"}, timeout=60) == "EXECUTING"
        with psycopg.connect(db_conninfo) as conn:
            pid = conn.execute("SELECT backend_pid FROM uws.job WHERE job_id = %s",
                               (job_id,)).fetchone()[0]
        os.kill(processes[0].pid, signal.SIGKILL)  # a crash: no clean-up of any kind
        processes[0].join(10)
    finally:
        stop_workers(processes)
    assert uws.phase(job_id) == "EXECUTING"  # nobody knows yet
    uws_workers.start(1)  # the restarted service's worker
    assert uws.wait_for(job_id, {"ERROR"}, timeout=15) == "ERROR"
    message = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(
        f"{uws.ns}errorSummary/{uws.ns}message").text
    assert message == RESTART_MESSAGE
    # The orphaned query does not keep the database busy.
    assert uws.eventually(lambda: not _query_backend_alive(db_conninfo, pid))
    # The new worker runs new jobs.
    job2 = uws.create("SELECT TOP 1 * FROM tap_schema.schemas", PHASE="RUN")
    assert uws.wait_for(job2, {"COMPLETED", "ERROR"}) == "COMPLETED"


def test_sigterm_stops_worker_promptly_and_job_ends_in_error(uws, uws_client, settings):
    processes = start_workers(settings, 1)
    job_id = uws.create(uws.long_query, PHASE="RUN")
    assert uws.wait_for(job_id, {"EXECUTING"}, timeout=60) == "EXECUTING"
    stop_workers(processes, timeout=10)
    assert not processes[0].is_alive() and processes[0].exitcode == 0
    assert uws.phase(job_id) == "ERROR"
    message = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(
        f"{uws.ns}errorSummary/{uws.ns}message").text
    assert message == RESTART_MESSAGE
