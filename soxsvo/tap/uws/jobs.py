"""The UWS job store: plain functions over a connection, shared by the views and the workers.

Every function takes a psycopg connection and leaves transaction control to its caller except
where it says so; phase changes that race with a worker lock the job row (``FOR UPDATE``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from soxsvo.errors import ConflictError, InputError, LimitError, NotFoundError

PHASES = ("PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED", "UNKNOWN", "HELD",
          "SUSPENDED", "ARCHIVED")
#: Phases a job never leaves by itself: a WAIT on them returns at once.
FINAL_PHASES = frozenset({"COMPLETED", "ERROR", "ABORTED", "ARCHIVED"})
#: Phases in which a job counts against the fair-use limits.
ACTIVE_PHASES = ("QUEUED", "EXECUTING")
#: Channel a worker LISTENs on; NOTIFY on it when a job is queued.
QUEUE_CHANNEL = "soxsvo_uws_queue"
#: Parameters a job keeps; anything else sent at creation is ignored (UWS lets a service
#: ignore parameters it does not know, and PHASE/ACTION are requests, not job parameters).
JOB_PARAMETERS = ("LANG", "QUERY", "MAXREC", "RESPONSEFORMAT", "FORMAT", "UPLOAD", "REQUEST",
                  "RUNID")
#: Seconds a client is asked to wait when over its limit: roughly a short query's time.
RETRY_AFTER = 30


class JobNotFoundError(NotFoundError):
    """No job with this id (never created, deleted or destroyed)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}: it was never created, was deleted, or passed its "
                         "destruction time", 404)


@dataclass
class Result:
    """One result of a job (TAP has one, ``result``)."""

    result_id: str
    path: str
    size: int
    mime_type: str
    rows: int | None = None
    overflow: bool = False


@dataclass
class Job:
    """A row of ``uws.job`` with its results."""

    job_id: str
    run_id: str | None
    owner: str | None
    client: str
    phase: str
    creation_time: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    execution_duration: int
    destruction: dt.datetime
    quote: dt.datetime | None
    error_summary: str | None
    error_type: str | None
    parameters: list[list[str]]
    uploads: list[list[str]]
    worker_id: str | None = None
    backend_pid: int | None = None
    queued_time: dt.datetime | None = None
    results: list[Result] = field(default_factory=list)

    def parameter(self, name: str) -> str | None:
        """The last value of parameter ``name`` (case-insensitive), or None."""
        values = [value for key, value in self.parameters if key == name.upper()]
        return values[-1] if values else None


def job_dir(data_path: Path, job_id: str) -> Path:
    """Folder of a job's files: ``<data_dir>/uws/<job_id>``."""
    return data_path / "uws" / job_id


def new_job_id() -> str:
    """A random, URL-safe, unguessable job id (the id is the only key to an anonymous job)."""
    return secrets.token_urlsafe(12)


def _job_from_row(row: dict) -> Job:
    known = {name for name in Job.__dataclass_fields__ if name != "results"}
    return Job(**{key: value for key, value in row.items() if key in known})


def get_job(conn: psycopg.Connection, job_id: str, *, for_update: bool = False) -> Job:
    """Read a job and its results.

    Raises
    ------
    JobNotFoundError
        When no such job exists.
    """
    lock = " FOR UPDATE" if for_update else ""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT * FROM uws.job WHERE job_id = %s{lock}", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        job = _job_from_row(row)
        cur.execute("SELECT result_id, path, size, mime_type, rows, overflow FROM uws.result "
                    "WHERE job_id = %s ORDER BY result_id", (job_id,))
        job.results = [Result(**r) for r in cur.fetchall()]
    return job


def create_job(conn: psycopg.Connection, *, parameters: Sequence[tuple[str, str]],
               uploads: Sequence[tuple[str, bytes]], owner: str | None, client: str,
               data_path: Path, execution_duration: int, retention_days: int) -> str:
    """Insert a PENDING job, store its uploaded tables under its folder; commit; return its id.

    Parameters
    ----------
    parameters : sequence of (NAME, value)
        The job's parameters, names upper-cased.
    uploads : sequence of (table name, bytes)
        Uploaded tables, already checked for size.
    """
    job_id = new_job_id()
    folder = job_dir(data_path, job_id) / "uploads"
    stored = []
    if uploads:
        folder.mkdir(parents=True, exist_ok=True)
        for index, (name, payload) in enumerate(uploads):
            filename = f"{index:02d}_{name}.dat"
            (folder / filename).write_bytes(payload)
            stored.append([name, filename])
    run_id = next((value for key, value in parameters if key == "RUNID"), None)
    kept = [[key, value] for key, value in parameters if key in JOB_PARAMETERS]
    try:
        conn.execute(
            "INSERT INTO uws.job (job_id, run_id, owner, client, execution_duration, "
            "destruction, parameters, uploads) "
            "VALUES (%s, %s, %s, %s, %s, now() + make_interval(days => %s), %s, %s)",
            (job_id, run_id, owner, client, execution_duration, retention_days,
             json.dumps(kept), json.dumps(stored)))
        conn.commit()
    except BaseException:
        conn.rollback()
        shutil.rmtree(job_dir(data_path, job_id), ignore_errors=True)
        raise
    return job_id


def list_jobs(conn: psycopg.Connection, *, owner: str | None, phases: Sequence[str] = (),
              after: dt.datetime | None = None, last: int | None = None) -> list[Job]:
    """Jobs of ``owner`` (None: the anonymous jobs) filtered as UWS 1.1 section 2.2.2.1 says.

    ARCHIVED jobs are left out unless ``phases`` asks for them. ``last`` keeps the ``last``
    most recently created jobs (after the other filters); the list is in creation order,
    newest first when ``last`` is given.
    """
    where = ["owner IS NOT DISTINCT FROM %s"]
    args: list = [owner]
    if phases:
        where.append("phase = ANY(%s)")
        args.append(list(phases))
    else:
        where.append("phase <> 'ARCHIVED'")
    if after is not None:
        where.append("creation_time > %s")
        args.append(after)
    order = "creation_time DESC" if last is not None else "creation_time"
    limit = ""
    if last is not None:
        limit = " LIMIT %s"
        args.append(last)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT * FROM uws.job WHERE {' AND '.join(where)} ORDER BY {order}{limit}",
                    args)
        return [_job_from_row(row) for row in cur.fetchall()]


def check_fair_use(conn: psycopg.Connection, client: str, *, per_client: int,
                   total: int) -> None:
    """Refuse (429/503 with Retry-After) when ``client`` or the service has too many active jobs.

    Call inside the transaction that queues the job: an advisory lock on the client makes
    count-then-queue atomic, so two simultaneous requests cannot both slip under the limit.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('soxsvo_uws_client'), hashtext(%s))",
                 (client,))
    mine, everybody = conn.execute(
        "SELECT count(*) FILTER (WHERE client = %s), count(*) FROM uws.job "
        "WHERE phase = ANY(%s)", (client, list(ACTIVE_PHASES))).fetchone()
    if mine >= per_client:
        raise LimitError(f"you already have {mine} queued or executing jobs, the most this "
                         "service runs for one client; wait until one ends, or abort one",
                         RETRY_AFTER)
    if everybody >= total:
        raise LimitError("the service has too many queued jobs; try again later", RETRY_AFTER,
                         overall=True)


def run_job(conn: psycopg.Connection, job_id: str, *, per_client: int, total: int) -> Job:
    """PHASE=RUN: queue a PENDING (or HELD) job and wake a worker; commit.

    Running a job already QUEUED or EXECUTING changes nothing; a job in a final phase cannot
    run again (409).
    """
    try:
        job = get_job(conn, job_id, for_update=True)
        if job.phase in ("PENDING", "HELD"):
            check_fair_use(conn, job.client, per_client=per_client, total=total)
            conn.execute("UPDATE uws.job SET phase = 'QUEUED', queued_time = now() "
                         "WHERE job_id = %s", (job_id,))
            conn.execute(f"NOTIFY {QUEUE_CHANNEL}")
        elif job.phase not in ACTIVE_PHASES:
            raise ConflictError(f"job {job_id} is {job.phase}; it cannot run again (create a new "
                                "job)")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return job


def cancel_backend(conn: psycopg.Connection, pid: int | None) -> None:
    """Cancel the query a backend runs (a no-op when the backend is idle or gone)."""
    if pid is not None:
        conn.execute("SELECT pg_cancel_backend(%s)", (pid,))


def abort_job(conn: psycopg.Connection, job_id: str) -> Job:
    """PHASE=ABORT: end a job that has not ended; cancel its running query; commit.

    The phase becomes ABORTED here, at once; the worker, whose query gets cancelled, sees the
    job is no longer EXECUTING and only cleans up. Aborting an ended job changes nothing.
    """
    try:
        job = get_job(conn, job_id, for_update=True)
        if job.phase not in FINAL_PHASES:
            conn.execute("UPDATE uws.job SET phase = 'ABORTED', end_time = now(), "
                         "backend_pid = NULL WHERE job_id = %s", (job_id,))
            if job.phase == "EXECUTING":
                # Inside the transaction that holds the row lock: if the worker has just
                # finished, it is now waiting on this lock, so the cancel cannot reach a query
                # of its next job.
                cancel_backend(conn, job.backend_pid)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return job


def delete_job(conn: psycopg.Connection, job_id: str, data_path: Path) -> None:
    """Delete a job, cancelling its query if it runs, and its files; commit."""
    try:
        job = get_job(conn, job_id, for_update=True)
        if job.phase == "EXECUTING":
            cancel_backend(conn, job.backend_pid)
        conn.execute("DELETE FROM uws.job WHERE job_id = %s", (job_id,))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    shutil.rmtree(job_dir(data_path, job_id), ignore_errors=True)


def sweep_destroyed(conn: psycopg.Connection, data_path: Path) -> list[str]:
    """Delete every job past its destruction time, with its files; commit; return their ids."""
    ids = [row[0] for row in conn.execute(
        "SELECT job_id FROM uws.job WHERE destruction < now() ORDER BY destruction")]
    conn.rollback()
    for job_id in ids:
        # Deleted by its owner or another worker's sweep meanwhile: nothing left to do.
        with contextlib.suppress(JobNotFoundError):
            delete_job(conn, job_id, data_path)
    return ids


def _require_pending(job: Job, what: str) -> None:
    if job.phase != "PENDING":
        raise ConflictError(f"job {job.job_id} is {job.phase}: its {what} can only change while "
                            "it is PENDING")


def update_parameters(conn: psycopg.Connection, job_id: str,
                      parameters: Sequence[tuple[str, str]]) -> None:
    """Set parameters of a PENDING job (a new value replaces the old one); commit."""
    try:
        job = get_job(conn, job_id, for_update=True)
        _require_pending(job, "parameters")
        given = {key for key, _ in parameters if key in JOB_PARAMETERS}
        merged = [pair for pair in job.parameters if pair[0] not in given]
        merged += [[key, value] for key, value in parameters if key in JOB_PARAMETERS]
        run_id = next((value for key, value in reversed(merged) if key == "RUNID"), None)
        conn.execute("UPDATE uws.job SET parameters = %s, run_id = %s WHERE job_id = %s",
                     (json.dumps(merged), run_id, job_id))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def set_execution_duration(conn: psycopg.Connection, job_id: str, seconds: int,
                           limit: int) -> None:
    """Set executionDuration of a PENDING job; 0 or above ``limit`` becomes ``limit``; commit.

    UWS lets a service lower a requested duration; 0 ("unlimited") is lowered too, because
    every query of this service has a statement timeout.
    """
    try:
        job = get_job(conn, job_id, for_update=True)
        _require_pending(job, "executionDuration")
        value = limit if seconds <= 0 else min(seconds, limit)
        conn.execute("UPDATE uws.job SET execution_duration = %s WHERE job_id = %s",
                     (value, job_id))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def set_destruction(conn: psycopg.Connection, job_id: str, when: dt.datetime,
                    retention_days: int) -> None:
    """Set the destruction time, at most ``retention_days`` from now (UWS lets the service
    shorten it); an earlier time, even a past one, is accepted; commit."""
    try:
        get_job(conn, job_id, for_update=True)
        conn.execute("UPDATE uws.job SET destruction = LEAST(%s, now() + make_interval("
                     "days => %s)) WHERE job_id = %s", (when, retention_days, job_id))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def parse_iso_time(text: str, name: str) -> dt.datetime:
    """An ISO 8601 time of a request (UTC when it names no zone).

    Raises
    ------
    DALIError
        400, naming the parameter, when ``text`` is not ISO 8601.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}={text!r} is not an ISO 8601 time such as "
                         "2026-05-01T12:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def queue_state(conn: psycopg.Connection, stale_s: float = 60.0) -> dict[str, int]:
    """What ``/health`` says of asynchronous jobs: live workers, queued and executing jobs.

    A worker is live while its control connection is in ``pg_stat_activity`` and its
    heartbeat is younger than ``stale_s``; ``stuck`` counts queued jobs older than
    ``stale_s`` while no worker is live (they would wait forever).
    """
    row = conn.execute(
        """
        WITH live AS (
            SELECT count(*) AS n FROM uws.worker w
             WHERE w.heartbeat > now() - make_interval(secs => %(stale)s)
               AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.control_pid))
        SELECT live.n,
               count(j.*) FILTER (WHERE j.phase = 'QUEUED'),
               count(j.*) FILTER (WHERE j.phase = 'EXECUTING'),
               count(j.*) FILTER (WHERE j.phase = 'QUEUED' AND live.n = 0
                                  AND j.queued_time < now() - make_interval(secs => %(stale)s))
          FROM live LEFT JOIN uws.job j ON j.phase IN ('QUEUED', 'EXECUTING')
         GROUP BY live.n
        """, {"stale": stale_s}).fetchone()
    return dict(zip(("live_workers", "queued", "executing", "stuck"), row, strict=True))
