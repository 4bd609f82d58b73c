"""UWS job life cycle: creation, parameters, RUN to COMPLETED, results, the UWS documents."""

from __future__ import annotations

import io
import time

import psycopg
import pytest
from astropy.io import votable

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
QUERY = "SELECT table_name, column_name FROM tap_schema.columns"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
JOB_ORDER = ["jobId", "runId", "ownerId", "phase", "quote", "creationTime", "startTime",
             "endTime", "executionDuration", "destruction", "parameters", "results",
             "errorSummary", "jobInfo"]


def _check_job_order(root) -> None:
    """Children of uws:job in the UWS 1.1 JobSummary sequence, mandatory ones present."""
    names = [child.tag.removeprefix(UWS) for child in root]
    assert names == [name for name in JOB_ORDER if name in names]
    for required in ("jobId", "ownerId", "phase", "executionDuration", "destruction",
                     "parameters", "results"):
        assert required in names
    assert root.tag == f"{UWS}job" and root.get("version") == "1.1"


def test_create_answers_303_and_job_is_pending(uws, uws_client, settings):
    response = uws_client.post("/tap/async", data={"lang": "ADQL", "query": QUERY,
                                                   "RunId": "my run", "maxrec": "5"})
    job_id = uws.job_id_of(response)
    assert response.headers["Location"] == f"{settings.public_url}/tap/async/{job_id}"
    root = uws.xml(uws_client.get(f"/tap/async/{job_id}"))
    _check_job_order(root)
    assert root.find(f"{UWS}phase").text == "PENDING"
    assert root.find(f"{UWS}runId").text == "my run"
    assert root.find(f"{UWS}ownerId").get("{http://www.w3.org/2001/XMLSchema-instance}nil") \
        == "true"
    params = {p.get("id"): p.text for p in uws.xml(uws_client.get(
        f"/tap/async/{job_id}/parameters")).iter(f"{UWS}parameter")}
    assert params["query"] == QUERY and params["lang"] == "ADQL" and params["maxrec"] == "5"
    assert uws_client.get(f"/tap/async/{job_id}/owner").get_data(as_text=True) == ""
    assert uws_client.get(f"/tap/async/{job_id}/quote").status_code == 200


def test_run_to_completed_and_result_matches_database(uws, uws_client, uws_worker, db_conn,
                                                      settings):
    job_id = uws.create(QUERY, MAXREC="100000")
    response = uws_client.post(f"/tap/async/{job_id}/phase", data={"PHASE": "RUN"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tap/async/{job_id}")
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "COMPLETED"
    root = uws.xml(uws_client.get(f"/tap/async/{job_id}"))
    _check_job_order(root)
    assert root.find(f"{UWS}startTime").text and root.find(f"{UWS}endTime").text
    result = root.find(f"{UWS}results/{UWS}result")
    href = result.get(XLINK_HREF)
    assert href == f"{settings.public_url}/tap/async/{job_id}/results/result"
    download = uws_client.get(href.removeprefix(settings.public_url))
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith(result.get("mime-type"))
    assert int(result.get("size")) == len(download.data)
    table = votable.parse_single_table(io.BytesIO(download.data), verify="ignore").to_table()
    expected = db_conn.execute("SELECT count(*) FROM tap_schema.columns").fetchone()[0]
    assert len(table) == expected > 0
    assert set(table.colnames) == {"table_name", "column_name"}
    assert (settings.data_path / "uws" / job_id / "result.vot").is_file() or any(
        (settings.data_path / "uws" / job_id).glob("result.*"))
    results = uws.xml(uws_client.get(f"/tap/async/{job_id}/results"))
    assert results.tag == f"{UWS}results" and len(results) == 1


def test_phase_run_at_creation_and_maxrec_overflow(uws, uws_client, uws_worker):
    job_id = uws.create(QUERY, MAXREC="3", PHASE="RUN",
                        RESPONSEFORMAT="votable")
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "COMPLETED"
    data = uws_client.get(f"/tap/async/{job_id}/results/result").data
    document = votable.parse(io.BytesIO(data), verify="ignore")
    assert len(document.get_first_table().array) == 3
    statuses = [info.value for resource in document.resources for info in resource.infos
                if info.name == "QUERY_STATUS"]
    assert "OVERFLOW" in statuses or b"OVERFLOW" in data


def test_bad_adql_ends_in_error_with_dali_document(uws, uws_client, uws_worker):
    job_id = uws.create("SELECT nonsense FROM nowhere_at_all", PHASE="RUN")
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "ERROR"
    root = uws.xml(uws_client.get(f"/tap/async/{job_id}"))
    _check_job_order(root)
    summary = root.find(f"{UWS}errorSummary")
    assert summary.get("type") == "fatal"
    assert "nowhere_at_all" in summary.find(f"{UWS}message").text
    error = uws_client.get(f"/tap/async/{job_id}/error")
    assert error.status_code == 200 and "votable" in error.mimetype
    document = votable.parse(io.BytesIO(error.data), verify="ignore")
    infos = {info.name: info for info in document.resources[0].infos}
    assert infos["QUERY_STATUS"].value == "ERROR"
    assert uws_client.get(f"/tap/async/{job_id}/results/result").status_code == 404


@pytest.mark.parametrize(("params", "fragment"), [
    ({"LANG": "PQL"}, "LANG=PQL"), ({"RESPONSEFORMAT": "nope"}, "nope")])
def test_bad_parameters_end_in_error_when_run(uws, uws_client, uws_worker, params, fragment):
    job_id = uws.create(QUERY, PHASE="RUN", **params)
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "ERROR"
    summary = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(f"{UWS}errorSummary")
    assert fragment in summary.find(f"{UWS}message").text


def test_client_errors(uws, uws_client):
    assert uws_client.get("/tap/async/no-such-job").status_code == 404
    assert uws_client.get("/tap/async/no-such-job/phase").status_code == 404
    # A job with bad parameters is still created (UWS, and taplint's QAS stage, expect 303);
    # it ends in ERROR when run, which test_bad_query_ends_in_error checks.
    assert uws_client.post("/tap/async", data={"LANG": "PQL", "QUERY": "x"}).status_code == 303
    job_id = uws.create(QUERY)
    base = f"/tap/async/{job_id}"
    assert uws_client.post(f"{base}/phase", data={"PHASE": "SLEEP"}).status_code == 400
    assert uws_client.post(f"{base}/destruction",
                           data={"DESTRUCTION": "next tuesday"}).status_code == 400
    assert uws_client.get("/tap/async?AFTER=yesterday").status_code == 400
    assert uws_client.get("/tap/async?PHASE=SLEEPING").status_code == 400
    assert uws_client.post(f"{base}", data={"ACTION": "EXPLODE"}).status_code == 400


def test_parameters_change_only_while_pending(uws, uws_client, settings):
    job_id = uws.create(QUERY)
    base = f"/tap/async/{job_id}"
    assert uws_client.post(f"{base}/parameters", data={"maxrec": "7"}).status_code == 303
    params = {p.get("id"): p.text for p in uws.xml(uws_client.get(f"{base}/parameters"))
              .iter(f"{UWS}parameter")}
    assert params["maxrec"] == "7"
    assert uws_client.post(f"{base}/executionduration",
                           data={"EXECUTIONDURATION": "30"}).status_code == 303
    assert uws_client.get(f"{base}/executionduration").get_data(as_text=True) == "30"
    # Above the service's limit: lowered to it (UWS lets the service decide).
    uws_client.post(f"{base}/executionduration", data={"EXECUTIONDURATION": "99999999"})
    assert uws_client.get(f"{base}/executionduration").get_data(as_text=True) == str(
        settings.query.async_timeout)
    assert uws_client.post(f"{base}/destruction",
                           data={"DESTRUCTION": "2030-01-02T03:04:05Z"}).status_code == 303
    destruction = uws_client.get(f"{base}/destruction").get_data(as_text=True)
    assert destruction.endswith("Z")
    # No worker: the job stays QUEUED, and can no longer be changed.
    assert uws_client.post(f"{base}/phase", data={"PHASE": "RUN"}).status_code == 303
    assert uws.phase(job_id) == "QUEUED"
    assert uws_client.post(f"{base}/parameters", data={"MAXREC": "8"}).status_code == 409
    assert uws_client.post(f"{base}/executionduration",
                           data={"EXECUTIONDURATION": "5"}).status_code == 409


def test_job_list_filters(uws, uws_client, db_conn):
    ids = [uws.create(QUERY, RUNID=f"r{i}") for i in range(4)]
    # Spread creation times so AFTER and LAST have something to tell apart.
    for offset, job_id in enumerate(ids):
        db_conn.execute("UPDATE uws.job SET creation_time = now() - make_interval(mins => %s)"
                        " WHERE job_id = %s", (10 * (4 - offset), job_id))
    db_conn.execute("UPDATE uws.job SET phase = 'COMPLETED' WHERE job_id = %s", (ids[0],))
    db_conn.execute("UPDATE uws.job SET phase = 'ARCHIVED' WHERE job_id = %s", (ids[1],))
    db_conn.commit()

    def listed(query: str = "") -> list[str]:
        root = uws.xml(uws_client.get(f"/tap/async{query}"))
        assert root.tag == f"{UWS}jobs" and root.get("version") == "1.1"
        for ref in root:
            names = [child.tag.removeprefix(UWS) for child in ref]
            assert names[0] == "phase" and names == sorted(
                names, key=["phase", "runId", "ownerId", "creationTime"].index)
            assert ref.get(XLINK_HREF).endswith(f"/tap/async/{ref.get('id')}")
        return [ref.get("id") for ref in root]

    assert set(listed()) == {ids[0], ids[2], ids[3]}  # ARCHIVED left out
    assert listed("?PHASE=ARCHIVED") == [ids[1]]
    assert set(listed("?PHASE=PENDING&PHASE=COMPLETED")) == {ids[0], ids[2], ids[3]}
    assert listed("?phase=COMPLETED") == [ids[0]]
    assert listed("?LAST=2") == [ids[3], ids[2]]
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 25 * 60))
    assert set(listed(f"?AFTER={after}")) == {ids[2], ids[3]}
    assert listed(f"?AFTER={after}&LAST=1") == [ids[3]]


def test_wait_blocks_until_phase_changes(uws, uws_client, uws_workers):
    job_id = uws.create(QUERY)
    started = time.monotonic()
    root = uws.xml(uws_client.get(f"/tap/async/{job_id}?WAIT=1"))
    assert root.find(f"{UWS}phase").text == "PENDING"
    assert 0.9 <= time.monotonic() - started < 5
    # WAIT with PHASE other than the job's: at once.
    started = time.monotonic()
    uws_client.get(f"/tap/async/{job_id}?WAIT=10&PHASE=EXECUTING")
    assert time.monotonic() - started < 1
    uws_client.post(f"/tap/async/{job_id}/phase", data={"PHASE": "RUN"})
    uws_workers.start(1)
    started = time.monotonic()
    root = uws.xml(uws_client.get(f"/tap/async/{job_id}?WAIT=20&PHASE=QUEUED"))
    assert root.find(f"{UWS}phase").text != "QUEUED"
    assert time.monotonic() - started < 15
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    # A final phase: WAIT returns at once.
    started = time.monotonic()
    uws_client.get(f"/tap/async/{job_id}?WAIT=30")
    assert time.monotonic() - started < 1


def test_uws_tables_hidden_from_reader_role(db_conn):
    db_conn.execute("SET ROLE soxsvo_reader")
    try:
        db_conn.execute("SELECT * FROM uws.job")
    except psycopg.errors.InsufficientPrivilege:
        pass
    else:
        raise AssertionError("soxsvo_reader can read uws.job")
    finally:
        db_conn.rollback()
