"""pyvo's async TAP client against the served application: the real-client check of UWS."""

from __future__ import annotations

import threading

import pytest
from astropy.table import Table
from werkzeug.serving import make_server

pyvo = pytest.importorskip("pyvo")


@pytest.fixture
def served(uws_app, uws_settings_factory, uws_worker):
    """``uws_app`` served over HTTP on a free port, its public URL the served one."""
    server = make_server("127.0.0.1", 0, uws_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    uws_app.config["SOXSVO"] = uws_settings_factory(BASE_URL=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"{url}/tap"
    server.shutdown()


def test_run_async_returns_the_rows(served, db_conn):
    service = pyvo.dal.TAPService(served)
    result = service.run_async("SELECT table_name, column_name FROM tap_schema.columns",
                               maxrec=100000)
    expected = db_conn.execute("SELECT count(*) FROM tap_schema.columns").fetchone()[0]
    assert len(result) == expected


def test_submit_wait_fetch_delete(served):
    service = pyvo.dal.TAPService(served)
    job = service.submit_job("SELECT TOP 3 schema_name FROM tap_schema.schemas")
    assert job.phase == "PENDING"
    assert "tap_schema.schemas" in job.query
    job.run()
    job.wait(timeout=30)
    assert job.phase == "COMPLETED"
    assert len(job.fetch_result()) == 3
    assert any(ref.jobid == job.job_id for ref in service.get_job_list())
    url = job.url
    job.delete()
    assert all(ref.jobid != url.rsplit("/", 1)[-1] for ref in service.get_job_list())


def test_async_upload(served):
    service = pyvo.dal.TAPService(served)
    table = Table({"id": [1, 2, 3], "ra": [10.0, 20.0, 30.0], "dec": [-5.0, 0.0, 5.0]})
    result = service.run_async("SELECT id, ra FROM TAP_UPLOAD.mine WHERE ra > 15",
                               uploads={"mine": table})
    assert sorted(result.to_table()["id"]) == [2, 3]


def test_bad_query_raises_with_the_message(served):
    service = pyvo.dal.TAPService(served)
    with pytest.raises(pyvo.dal.DALQueryError, match="nowhere_table"):
        service.run_async("SELECT x FROM nowhere_table")
