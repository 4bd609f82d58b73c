"""UWS job control: ABORT cancels the query's backend, timeouts, DELETE, destruction, fair use."""

from __future__ import annotations

import psycopg
import pytest

QUERY = "SELECT TOP 5 table_name FROM tap_schema.tables"


def _backend_running(conninfo: str, pid: int) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT state FROM pg_stat_activity WHERE pid = %s",
                           (pid,)).fetchone()
    # The worker's connection stays (idle); what must be gone is the query running on it.
    return row is not None and row[0] == "active"


def _backend_pid(conn: psycopg.Connection, job_id: str) -> int:
    pid = conn.execute("SELECT backend_pid FROM uws.job WHERE job_id = %s",
                       (job_id,)).fetchone()[0]
    conn.rollback()
    return pid


def test_abort_cancels_the_running_query(uws, uws_client, uws_worker, db_conn, db_conninfo):
    job_id = uws.create(uws.long_query, PHASE="RUN")
    assert uws.wait_for(job_id, {"EXECUTING"}) == "EXECUTING"
    pid = _backend_pid(db_conn, job_id)
    assert uws.eventually(lambda: _backend_running(db_conninfo, pid))
    response = uws_client.post(f"/tap/async/{job_id}/phase", data={"phase": "abort"})
    assert response.status_code == 303
    assert uws.phase(job_id) == "ABORTED"
    assert uws.eventually(lambda: not _backend_running(db_conninfo, pid), timeout=5)
    # The worker is free again: the next job runs (the abort did not leave it stuck).
    follow_up = uws.create(QUERY, PHASE="RUN")
    assert uws.wait_for(follow_up, {"COMPLETED", "ERROR"}) == "COMPLETED"
    assert uws.phase(job_id) == "ABORTED"
    assert not list((uws_client.application.config["SOXSVO"].data_path / "uws" / job_id)
                    .glob("*result*"))


def test_abort_of_queued_job(uws, uws_client):
    job_id = uws.create(QUERY, PHASE="RUN")
    assert uws.phase(job_id) == "QUEUED"
    uws_client.post(f"/tap/async/{job_id}/phase", data={"PHASE": "ABORT"})
    assert uws.phase(job_id) == "ABORTED"
    assert uws_client.post(f"/tap/async/{job_id}/phase",
                           data={"PHASE": "RUN"}).status_code == 409


def test_execution_duration_exceeded_ends_in_error(uws, uws_client, uws_worker):
    job_id = uws.create(uws.long_query)
    uws_client.post(f"/tap/async/{job_id}/executionduration", data={"EXECUTIONDURATION": "1"})
    uws_client.post(f"/tap/async/{job_id}/phase", data={"PHASE": "RUN"})
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR", "ABORTED"}, timeout=20) == "ERROR"
    message = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(
        f"{uws.ns}errorSummary/{uws.ns}message").text
    assert "execution duration of 1 s" in message


@pytest.mark.parametrize("how", ["DELETE", "ACTION=DELETE"])
def test_delete_removes_job_and_files(uws, uws_client, uws_worker, settings, how):
    job_id = uws.create(QUERY, PHASE="RUN")
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    folder = settings.data_path / "uws" / job_id
    assert any(folder.glob("result.*"))
    if how == "DELETE":
        response = uws_client.delete(f"/tap/async/{job_id}")
    else:
        response = uws_client.post(f"/tap/async/{job_id}", data={"action": "DELETE"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{settings.public_url}/tap/async"
    assert uws_client.get(f"/tap/async/{job_id}").status_code == 404
    assert not folder.exists()


def test_delete_of_executing_job_cancels_it(uws, uws_client, uws_worker, db_conn,
                                            db_conninfo, settings):
    job_id = uws.create(uws.long_query, PHASE="RUN")
    assert uws.wait_for(job_id, {"EXECUTING"}) == "EXECUTING"
    pid = _backend_pid(db_conn, job_id)
    assert uws_client.delete(f"/tap/async/{job_id}").status_code == 303
    assert uws.eventually(lambda: not _backend_running(db_conninfo, pid), timeout=5)
    assert uws.eventually(lambda: not (settings.data_path / "uws" / job_id).exists())


def test_destruction_in_the_past_is_swept(uws, uws_client, uws_workers, settings):
    job_id = uws.create("SELECT TOP 1 * FROM tap_schema.schemas", PHASE="RUN")
    uws_workers.start(1)
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    uws_workers.stop()
    keep = uws.create(QUERY)
    assert uws_client.post(f"/tap/async/{job_id}/destruction",
                           data={"DESTRUCTION": "2020-01-01T00:00:00"}).status_code == 303
    assert (settings.data_path / "uws" / job_id).exists()
    uws_workers.start(1)  # a worker sweeps when it starts, then periodically
    assert uws.eventually(lambda: uws_client.get(f"/tap/async/{job_id}").status_code == 404)
    assert not (settings.data_path / "uws" / job_id).exists()
    assert uws_client.get(f"/tap/async/{keep}").status_code == 200


def test_fair_use_limit_answers_429(uws_settings_factory):
    from soxsvo.tap.uws.views import blueprint
    from soxsvo.web.app import create_app

    app = create_app(uws_settings_factory(TAP_MAX_JOBS_PER_CLIENT="2"))
    if "uws" not in app.blueprints:
        app.register_blueprint(blueprint)
    client = app.test_client()
    try:
        for _ in range(2):
            assert client.post("/tap/async", data={"LANG": "ADQL", "QUERY": QUERY,
                                                   "PHASE": "RUN"}).status_code == 303
        refused = client.post("/tap/async", data={"LANG": "ADQL", "QUERY": QUERY,
                                                  "PHASE": "RUN"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert b"QUERY_STATUS" in refused.data
        # Creating without running is fine; running it is refused the same way.
        pending = client.post("/tap/async", data={"LANG": "ADQL", "QUERY": QUERY})
        assert pending.status_code == 303
        job_url = pending.headers["Location"].split("/tap/async", 1)[1]
        assert client.post(f"/tap/async{job_url}/phase",
                           data={"PHASE": "RUN"}).status_code == 429
        # Another client (another address) is not held back.
        other = client.post("/tap/async", data={"LANG": "ADQL", "QUERY": QUERY,
                                                "PHASE": "RUN"},
                            environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 303
    finally:
        pool = app.extensions["soxsvo_pool"]["pool"]
        if pool is not None:
            pool.close()
