"""Run one claimed async job: the sync endpoint's query path, into a file instead of a response.

The job's outcome is written with ``WHERE phase = 'EXECUTING' AND worker_id = ...``: when
that matches nothing, the job was aborted or deleted meanwhile, and the worker only removes
what it wrote.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from soxsvo.access import ANONYMOUS, begin_as_reader, forbid_writes
from soxsvo.access.users import identity_for
from soxsvo.config import Settings
from soxsvo.dali.params import DALIParams
from soxsvo.db.metadata import all_tables
from soxsvo.errors import SoxsvoError
from soxsvo.tap.query import (
    prepare,
    query_error_message,
)
from soxsvo.tap.sync import parse_tap_request, result_batches
from soxsvo.tap.uws import jobs
from soxsvo.tap.uws.uploads import load_upload_file
from soxsvo.utils.disk import ensure_free_space

log = logging.getLogger(__name__)

#: Bytes of a result written between two looks at the disk reserve.
RESERVE_CHECK_BYTES = 16 * 2**20
RESTART_MESSAGE = "the worker running this job stopped (server restart); submit it again"


class _JobTimeoutError(Exception):
    """The job ran past its executionDuration between two batches."""


class _AbortedError(Exception):
    """The job was aborted or deleted before its query started."""


class _WorkerStoppingError(Exception):
    """The worker was asked to stop while the job ran."""


def _timeout_message(seconds: int) -> str:
    return (f"query exceeded the job's execution duration of {seconds} s and was cancelled; "
            "add constraints (a smaller region, TOP) or ask for a longer executionDuration")


def _watched(batches: Iterator[list], deadline: float,
             stopping: Callable[[], bool]) -> Iterator[list]:
    # statement_timeout bounds each FETCH; this bounds the whole job, writing included.
    for batch in batches:
        if time.monotonic() > deadline:
            raise _JobTimeoutError
        if stopping():
            raise _WorkerStoppingError
        yield batch


def _write_result(qconn: psycopg.Connection, job: jobs.Job, settings: Settings,
                  stopping: Callable[[], bool]) -> tuple[Path, object, object]:
    """Run the query; write the result to a temporary file in the job's folder."""
    tap = parse_tap_request(DALIParams(job.parameters), settings.tap)
    writer = tap.writer
    folder = jobs.job_dir(settings.data_path, job.job_id)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".result.{writer.file_extension}.part"
    deadline = time.monotonic() + job.execution_duration
    # An ABORT between the claim and the query's start cancels nothing (a cancel reaching an
    # idle backend is dropped), so look at the phase once more just before starting.
    phase = qconn.execute("SELECT phase FROM uws.job WHERE job_id = %s",
                          (job.job_id,)).fetchone()
    if phase is None or phase[0] != "EXECUTING":
        raise _AbortedError
    # The job runs with its owner's rights as they are now (a right revoked since the job
    # was created no longer applies); an anonymous or disabled owner sees public rows only.
    owner = identity_for(qconn, job.owner) if job.owner is not None else None
    begin_as_reader(qconn, job.execution_duration, owner or ANONYMOUS)
    uploads = tuple(load_upload_file(qconn, name, folder / "uploads" / filename,
                                     settings.tap.upload_max_rows)
                    for name, filename in job.uploads)
    forbid_writes(qconn)
    prepared = prepare(tap.query, uploads, qconn, all_tables(qconn))
    from soxsvo.formats.info import query_infos

    # The same rows as sync: binary COPY blocks for BINARY/BINARY2 of scalar columns.
    batches = _watched(result_batches(qconn, prepared, tap.maxrec, writer), deadline,
                       stopping)
    reserve = settings.archive.min_free_bytes
    what = f"the result of job {job.job_id}"
    ensure_free_space(folder, 0, reserve, what)
    checked = 0
    with partial.open("wb") as handle:
        for chunk in writer.stream(prepared.columns, batches,
                                   resource_infos=query_infos(query=prepared.adql_text),
                                   overflow=prepared.outcome):
            handle.write(chunk)
            # Why while writing: anybody may start jobs of millions of rows; a result must
            # not take the disk's last gigabytes from the database (the job ends in ERROR).
            if handle.tell() - checked > RESERVE_CHECK_BYTES:
                checked = handle.tell()
                ensure_free_space(folder, 0, reserve, what)
    qconn.rollback()
    return partial, writer, prepared.outcome


def _finish(qconn: psycopg.Connection, job: jobs.Job, worker_id: str, sql: str,
            args: tuple) -> bool:
    """Record the outcome if the job is still this worker's; commit; False if it is not."""
    try:
        cur = qconn.execute(sql + " WHERE job_id = %s AND phase = 'EXECUTING' AND "
                            "worker_id = %s", (*args, job.job_id, worker_id))
        mine = cur.rowcount == 1
        if mine:
            qconn.commit()
        else:
            qconn.rollback()  # with the result row inserted beside it, if any
        return mine
    except psycopg.errors.QueryCanceled:
        # ABORT cancelled this very statement while it waited for the row lock: the job is
        # no longer EXECUTING, so the update would have matched nothing anyway.
        qconn.rollback()
        return False


def _set_error(qconn: psycopg.Connection, job: jobs.Job, worker_id: str, message: str,
               error_type: str = "fatal") -> bool:
    return _finish(qconn, job, worker_id,
                   "UPDATE uws.job SET phase = 'ERROR', end_time = now(), error_summary = %s, "
                   "error_type = %s, backend_pid = NULL", (message, error_type))


def _clean_up(job: jobs.Job, settings: Settings, qconn: psycopg.Connection) -> None:
    """Remove what this run wrote; the whole folder if the job itself is gone."""
    folder = jobs.job_dir(settings.data_path, job.job_id)
    for path in folder.glob(".result*"):
        path.unlink(missing_ok=True)
    gone = qconn.execute("SELECT NOT EXISTS (SELECT 1 FROM uws.job WHERE job_id = %s)",
                         (job.job_id,)).fetchone()[0]
    qconn.rollback()
    if gone:
        shutil.rmtree(folder, ignore_errors=True)


def execute_job(qconn: psycopg.Connection, job: jobs.Job, settings: Settings, worker_id: str,
                *, stopping: Callable[[], bool] = lambda: False,
                watch: Callable[[str | None], None] = lambda job_id: None) -> str:
    """Run a job claimed by this worker on ``qconn``; record and return its final phase.

    Parameters
    ----------
    qconn : psycopg.Connection
        The connection whose backend pid the claim recorded (ABORT cancels it).
    stopping : callable
        True when the worker is asked to stop: the job then ends in ERROR with the restart
        message rather than keeping the shutdown waiting.
    watch : callable
        Told the job id while its query may run, and None after: a watchdog thread cancels
        the query when the job stops being EXECUTING (see ``worker._Watchdog``).
    """
    error: tuple[str, str] | None = None
    partial = None
    watch(job.job_id)
    try:
        partial, writer, outcome = _write_result(qconn, job, settings, stopping)
    except SoxsvoError as exc:
        error = (str(exc), "fatal")
    except _JobTimeoutError:
        error = (_timeout_message(job.execution_duration), "fatal")
    except _AbortedError:
        error = ("aborted before it started", "transient")
    except _WorkerStoppingError:
        error = (RESTART_MESSAGE, "transient")
    except psycopg.errors.QueryCanceled as exc:
        if stopping():
            error = (RESTART_MESSAGE, "transient")
        elif "statement timeout" in (exc.diag.message_primary or ""):
            error = (_timeout_message(job.execution_duration), "fatal")
        else:
            # Cancelled by ABORT or DELETE: they already set the phase; nothing to record.
            error = ("query cancelled", "transient")
    except psycopg.Error as exc:
        error = (query_error_message(exc)[0], "fatal")
    except Exception as exc:  # noqa: BLE001 - a job must end in a phase, whatever broke
        log.exception("job %s failed", job.job_id)
        error = (f"internal error of the service while running the query: {exc}", "fatal")
    finally:
        watch(None)
    if error is not None:
        qconn.rollback()
        recorded = _set_error(qconn, job, worker_id, *error)
        _clean_up(job, settings, qconn)
        return "ERROR" if recorded else "ABORTED"
    final = partial.with_name(f"result.{writer.file_extension}")
    os.replace(partial, final)
    relative = str(final.relative_to(settings.data_path))
    recorded = False
    try:
        qconn.execute("INSERT INTO uws.result (job_id, result_id, path, size, mime_type, rows, "
                      "overflow) VALUES (%s, 'result', %s, %s, %s, %s, %s)",
                      (job.job_id, relative, final.stat().st_size, writer.mime_type,
                       outcome.rows, outcome.overflow))
        recorded = _finish(qconn, job, worker_id,
                           "UPDATE uws.job SET phase = 'COMPLETED', end_time = now(), "
                           "backend_pid = NULL", ())
    except (psycopg.errors.ForeignKeyViolation, psycopg.errors.QueryCanceled):
        # Deleted while its result was written, or ABORT cancelled the INSERT as it waited
        # for the job's row lock.
        qconn.rollback()
    if not recorded:
        qconn.rollback()
        final.unlink(missing_ok=True)
        _clean_up(job, settings, qconn)
        return "ABORTED"
    return "COMPLETED"
