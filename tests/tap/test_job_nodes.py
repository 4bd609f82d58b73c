"""Two job nodes on one database (issue 21, "Roles and nodes").

Two ``soxsvo serve --role jobs`` processes, one worker each, share the test database: every
job runs exactly once (a trigger of this test records each claim, i.e. each move to
EXECUTING), and a node killed with ``kill -9`` (its whole process group, as a machine that
dies) leaves its running job to the other node, which ends it in ERROR with the restart
message and runs the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psycopg
import pytest

from soxsvo.tap.uws.views import blueprint
from soxsvo.tap.uws.worker import RESTART_MESSAGE
from soxsvo.web.app import create_app
from tests.support import job_node, node_worker_ids

SHORT_QUERY = "SELECT TOP 3 table_name FROM tap_schema.tables"
#: One worker per node, so that one long job keeps a node busy.
NODE_ENV = {"SOXSVO_TAP_JOB_WORKERS": "1"}
N_JOBS = 8


@pytest.fixture
def claims(db_conninfo: str):
    """Record every claim of a job (its move to EXECUTING) and by which worker."""
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        conn.execute("""
            CREATE TABLE public.test_claim (job_id text, worker_id text);
            CREATE FUNCTION public.test_record_claim() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO public.test_claim VALUES (NEW.job_id, NEW.worker_id);
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_claim AFTER UPDATE OF phase ON uws.job FOR EACH ROW
                WHEN (NEW.phase = 'EXECUTING' AND OLD.phase IS DISTINCT FROM 'EXECUTING')
                EXECUTE FUNCTION public.test_record_claim();""")

    def read() -> list[tuple[str, str]]:
        with psycopg.connect(db_conninfo, autocommit=True) as conn:
            return conn.execute("SELECT job_id, worker_id FROM public.test_claim").fetchall()

    return read


@pytest.fixture
def uws_many(uws, settings):
    """UWS helpers over an app whose per-client job quota lets N_JOBS jobs queue at once."""
    from soxsvo.config import load_settings

    roomy = load_settings({"SOXSVO_DATA_DIR": str(settings.data_path),
                           "SOXSVO_DATABASE_URL": settings.database_url,
                           "SOXSVO_TAP_MAX_JOBS_PER_CLIENT": str(N_JOBS + 2)})
    app = create_app(roomy)
    if "uws" not in app.blueprints:
        app.register_blueprint(blueprint)
    app.config["TESTING"] = True
    yield type(uws)(app.test_client())
    app.extensions["soxsvo_pool"]["pool"].close()


def _message(uws, job_id: str) -> str:
    return uws.xml(uws.client.get(f"/tap/async/{job_id}")).find(
        f"{uws.ns}errorSummary/{uws.ns}message").text


def _owner(db_conninfo: str, job_id: str) -> str:
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        return conn.execute("SELECT worker_id FROM uws.job WHERE job_id = %s",
                            (job_id,)).fetchone()[0]


def test_two_job_nodes_run_each_job_once_and_survive_a_node_kill(
        uws_many, claims, settings, db_conninfo) -> None:
    uws = uws_many
    with job_node(settings, env=NODE_ENV) as node_a, job_node(settings, env=NODE_ENV) as node_b:
        workers = {"a": node_worker_ids(settings, node_a.pid),
                   "b": node_worker_ids(settings, node_b.pid)}
        assert workers["a"] and workers["b"] and not workers["a"] & workers["b"]

        batch = [uws.create(SHORT_QUERY, PHASE="RUN") for _ in range(N_JOBS)]
        assert {uws.wait_for(job, {"COMPLETED", "ERROR"}, timeout=120) for job in batch} \
            == {"COMPLETED"}
        claimed = [job for job, _ in claims()]
        assert sorted(claimed) == sorted(batch), "each job claimed exactly once"
        assert {worker for _, worker in claims()} <= workers["a"] | workers["b"]

        # A long job keeps one node's only worker busy; that node dies with all its processes.
        long_job = uws.create(uws.long_query, PHASE="RUN")
        assert uws.wait_for(long_job, {"EXECUTING"}, timeout=60) == "EXECUTING"
        victim, survivor = ((node_a, "b") if _owner(db_conninfo, long_job) in workers["a"]
                            else (node_b, "a"))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)

        rest = [uws.create(SHORT_QUERY, PHASE="RUN") for _ in range(3)]
        assert {uws.wait_for(job, {"COMPLETED", "ERROR"}, timeout=120) for job in rest} \
            == {"COMPLETED"}
        # The survivor's maintenance sweep reaps the dead node's job (every 30 s).
        assert uws.wait_for(long_job, {"ERROR", "COMPLETED"}, timeout=120) == "ERROR"
        assert _message(uws, long_job) == RESTART_MESSAGE

    by_job: dict[str, list[str]] = {}
    for job, worker in claims():
        by_job.setdefault(job, []).append(worker)
    assert all(len(claimers) == 1 for claimers in by_job.values()), by_job
    assert {by_job[job][0] for job in rest} <= workers[survivor]
    assert set(by_job) == set(batch) | set(rest) | {long_job}


def _health_jobs(settings) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=settings.database_url)
    return subprocess.run([sys.executable, "-m", "soxsvo.cli", "health", "--role", "jobs"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def test_job_node_reports_health_and_drains_on_sigterm(uws_many, settings, db_conninfo) -> None:
    absent = _health_jobs(settings)
    assert absent.returncode == 1
    assert absent.stderr.strip() == "soxsvo: unhealthy: no live UWS job worker (0 jobs queued)"
    with job_node(settings, env=NODE_ENV) as node:
        assert _health_jobs(settings).returncode == 0
        uws = uws_many
        long_job = uws.create(uws.long_query, PHASE="RUN")
        assert uws.wait_for(long_job, {"EXECUTING"}, timeout=60) == "EXECUTING"
        node.send_signal(signal.SIGTERM)
        assert node.wait(timeout=60) == 0
    assert _health_jobs(settings).returncode == 1
    # The worker itself ended its job on the way out: no other node was needed to reap it.
    assert uws.phase(long_job) == "ERROR"
    assert _message(uws, long_job) == RESTART_MESSAGE
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM uws.worker").fetchone()[0] == 0
