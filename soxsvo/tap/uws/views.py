"""The ``/tap/async`` blueprint (UWS 1.1): thin views over ``soxsvo.tap.uws.jobs``.

Queries never run here; a job is queued and a worker process (``soxsvo.tap.uws.worker``)
runs it. Client errors are DALI error VOTables with the HTTP status UWS implies.
"""

from __future__ import annotations

import time

from flask import Response, redirect, request, send_file

from soxsvo.dali.blueprint import dal_blueprint, request_params
from soxsvo.dali.params import DALIParams
from soxsvo.errors import ForbiddenError, InputError, NotFoundError, SoxsvoError
from soxsvo.tap.uws import documents, jobs
from soxsvo.tap.uws.uploads import read_upload_parts
from soxsvo.web.context import connection, current_client, current_identity, current_settings

blueprint = dal_blueprint("uws", __name__, url_prefix="/tap/async")
TEXT = "text/plain"
#: Longest blocking GET (UWS 1.1 section 2.2.3.1 lets the service cap WAIT): a proxy or
#: client read timeout should not cut the request, and the client simply asks again.
WAIT_MAX = 60.0
WAIT_POLL = 0.25
WAITABLE_PHASES = frozenset({"PENDING", "QUEUED", "EXECUTING"})


def _base_url() -> str:
    return f"{current_settings().public_url}{blueprint.url_prefix}"


def _job_url(job_id: str) -> str:
    return f"{_base_url()}/{job_id}"


def _owner() -> str | None:
    # Authentication is soxsvo's own (soxsvo.web.identify): a job runs with its owner's
    # rights, so a front server's REMOTE_USER (gunicorn fills it from an unchecked Basic
    # header) must never name the owner. None is an anonymous client.
    return current_identity().user


def _client() -> str:
    # The same key as /tap/sync's fair use: the user when authenticated, else the address.
    return current_client()


def _limits() -> dict:
    tap = current_settings().tap
    return {"per_client": tap.max_jobs_per_client, "total": tap.max_queued_jobs}


def _see_other(url: str) -> Response:
    return redirect(url, code=303)


def _visible_job(conn, job_id: str) -> jobs.Job:
    job = jobs.get_job(conn, job_id)
    if job.owner is not None and job.owner != _owner():
        raise ForbiddenError(f"job {job_id} belongs to another user")
    return job


# -- the job list ------------------------------------------------------------------------------
@blueprint.get("", strict_slashes=False)
def job_list() -> Response:
    """The caller's jobs, filtered by PHASE (repeatable), AFTER and LAST."""
    params = request_params(request)
    phases = [value.upper() for value in params.getall("PHASE")]
    unknown = sorted(set(phases) - set(jobs.PHASES))
    if unknown:
        raise InputError(f"PHASE={', '.join(unknown)} is not a UWS phase; use one of "
                         f"{', '.join(jobs.PHASES)}")
    after = params.get("AFTER")
    after_time = jobs.parse_iso_time(after, "AFTER") if after else None
    last = params.get_int("LAST", None, minimum=1)
    with connection() as conn:
        found = jobs.list_jobs(conn, owner=_owner(), phases=phases, after=after_time, last=last)
    return Response(documents.job_list_document(found, _base_url()),
                    mimetype=documents.XML_MIME)


@blueprint.post("", strict_slashes=False)
def create() -> Response:
    """Create a job from TAP parameters (and uploads); PHASE=RUN queues it at once."""
    settings = current_settings()
    params = request_params(request)
    phase = (params.get("PHASE") or "").upper()
    if phase not in ("", "RUN"):
        raise InputError(f"PHASE={phase} at creation: only PHASE=RUN is accepted")
    uploads = read_upload_parts(request.files, params, settings.tap)
    with connection() as conn:
        job_id = jobs.create_job(
            conn, parameters=params.items(), uploads=uploads, owner=_owner(),
            client=_client(), data_path=settings.data_path,
            execution_duration=settings.query.async_timeout,
            retention_days=settings.tap.retention_days)
        if phase == "RUN":
            try:
                jobs.run_job(conn, job_id, **_limits())
            except SoxsvoError:
                # Over the fair-use limit: the client is told to retry, so leave no job
                # behind that it does not know the id of.
                jobs.delete_job(conn, job_id, settings.data_path)
                raise
    return _see_other(_job_url(job_id))


# -- one job -----------------------------------------------------------------------------------
def _wait_seconds(params: DALIParams) -> float | None:
    text = params.get("WAIT")
    if text is None or text.strip() == "":
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise InputError(f"WAIT must be a number of seconds, got {text!r}") from None
    # A negative WAIT means "as long as the service allows" (UWS 1.1 section 2.2.3.1).
    return WAIT_MAX if seconds < 0 else min(seconds, WAIT_MAX)


def _wait_for_change(job_id: str, seconds: float, awaited: str | None) -> jobs.Job:
    """Block until the job leaves its phase (or ``awaited``), ``seconds`` at most.

    Short polling on a fresh pooled connection each time: holding a connection (for LISTEN)
    per waiting client would let a few patient clients exhaust the pool.
    """
    deadline = time.monotonic() + seconds
    with connection() as conn:
        job = _visible_job(conn, job_id)
    start_phase = job.phase
    if start_phase not in WAITABLE_PHASES or (awaited and awaited.upper() != start_phase):
        return job
    while time.monotonic() < deadline:
        time.sleep(min(WAIT_POLL, max(0.0, deadline - time.monotonic())))
        with connection() as conn:
            job = _visible_job(conn, job_id)
        if job.phase != start_phase:
            break
    return job


@blueprint.get("/<job_id>")
def job(job_id: str) -> Response:
    """The job as ``uws:job``; with WAIT, once its phase changes (or WAIT elapses)."""
    params = request_params(request)
    wait = _wait_seconds(params)
    if wait is not None:
        found = _wait_for_change(job_id, wait, params.get("PHASE"))
    else:
        with connection() as conn:
            found = _visible_job(conn, job_id)
    return Response(documents.job_document(found, _job_url(job_id)),
                    mimetype=documents.XML_MIME)


def _delete(job_id: str) -> Response:
    with connection() as conn:
        _visible_job(conn, job_id)
        jobs.delete_job(conn, job_id, current_settings().data_path)
    return _see_other(_base_url())


@blueprint.delete("/<job_id>")
def delete(job_id: str) -> Response:
    """Delete the job and its files (aborting it first if it runs)."""
    return _delete(job_id)


@blueprint.post("/<job_id>")
def post_job(job_id: str) -> Response:
    """ACTION=DELETE deletes the job (for clients that cannot send DELETE)."""
    action = request_params(request).get("ACTION")
    if (action or "").upper() != "DELETE":
        raise InputError(f"ACTION={action} is not supported on a job; use ACTION=DELETE")
    return _delete(job_id)


@blueprint.get("/<job_id>/phase")
def phase(job_id: str) -> Response:
    """The phase, as text."""
    with connection() as conn:
        return Response(_visible_job(conn, job_id).phase, mimetype=TEXT)


@blueprint.post("/<job_id>/phase")
def change_phase(job_id: str) -> Response:
    """PHASE=RUN queues the job, PHASE=ABORT ends it (cancelling its query)."""
    wanted = (request_params(request).get("PHASE") or "").upper()
    with connection() as conn:
        _visible_job(conn, job_id)  # 404/403 before anything changes
        if wanted == "RUN":
            jobs.run_job(conn, job_id, **_limits())
        elif wanted == "ABORT":
            jobs.abort_job(conn, job_id)
        else:
            raise InputError(f"PHASE={wanted or '(missing)'}: use PHASE=RUN or PHASE=ABORT")
    return _see_other(_job_url(job_id))


@blueprint.get("/<job_id>/executionduration")
def execution_duration(job_id: str) -> Response:
    """The execution duration in seconds, as text."""
    with connection() as conn:
        return Response(str(_visible_job(conn, job_id).execution_duration), mimetype=TEXT)


@blueprint.post("/<job_id>/executionduration")
def set_execution_duration(job_id: str) -> Response:
    """EXECUTIONDURATION=seconds (while PENDING; lowered to the service's limit)."""
    params = request_params(request)
    seconds = params.get_int("EXECUTIONDURATION", None)
    if seconds is None:
        raise InputError("parameter EXECUTIONDURATION (seconds) is missing")
    with connection() as conn:
        _visible_job(conn, job_id)
        jobs.set_execution_duration(conn, job_id, seconds,
                                    current_settings().query.async_timeout)
    return _see_other(_job_url(job_id))


@blueprint.get("/<job_id>/destruction")
def destruction(job_id: str) -> Response:
    """The destruction time (ISO 8601), as text."""
    with connection() as conn:
        found = _visible_job(conn, job_id)
    return Response(documents.iso_time(found.destruction), mimetype=TEXT)


@blueprint.post("/<job_id>/destruction")
def set_destruction(job_id: str) -> Response:
    """DESTRUCTION=ISO 8601 time (at most ``retention_days`` from now)."""
    text = request_params(request).get("DESTRUCTION")
    if not text:
        raise InputError("parameter DESTRUCTION (an ISO 8601 time) is missing")
    when = jobs.parse_iso_time(text, "DESTRUCTION")
    with connection() as conn:
        _visible_job(conn, job_id)
        jobs.set_destruction(conn, job_id, when, current_settings().tap.retention_days)
    return _see_other(_job_url(job_id))


@blueprint.get("/<job_id>/quote")
def quote(job_id: str) -> Response:
    """The quote: empty, because this service does not predict run times."""
    with connection() as conn:
        found = _visible_job(conn, job_id)
    return Response(documents.iso_time(found.quote) or "", mimetype=TEXT)


@blueprint.get("/<job_id>/owner")
def owner(job_id: str) -> Response:
    """The owner's name, empty for an anonymous job."""
    with connection() as conn:
        return Response(_visible_job(conn, job_id).owner or "", mimetype=TEXT)


@blueprint.get("/<job_id>/error")
def error(job_id: str) -> Response:
    """The DALI error document of a job in phase ERROR."""
    from soxsvo.formats import error_document

    with connection() as conn:
        found = _visible_job(conn, job_id)
    if found.phase != "ERROR":
        return Response(f"job {job_id} is {found.phase}: it has no error\n", status=404,
                        mimetype=TEXT)
    return Response(error_document(found.error_summary or "unknown error"),
                    mimetype="application/x-votable+xml")


@blueprint.get("/<job_id>/results")
def results(job_id: str) -> Response:
    """``uws:results``: the result of a completed job."""
    with connection() as conn:
        found = _visible_job(conn, job_id)
    return Response(documents.results_document(found, _job_url(job_id)),
                    mimetype=documents.XML_MIME)


@blueprint.get("/<job_id>/results/<result_id>")
def result(job_id: str, result_id: str) -> Response:
    """The result file, streamed from disk with its format's MIME type."""
    with connection() as conn:
        found = _visible_job(conn, job_id)
    match = next((r for r in found.results if r.result_id == result_id), None)
    if match is None:
        raise NotFoundError(f"job {job_id} has no result {result_id!r} (it is {found.phase})")
    path = current_settings().data_path / match.path
    return send_file(path, mimetype=match.mime_type, download_name=path.name,
                     as_attachment=False, conditional=True)


@blueprint.get("/<job_id>/parameters")
def parameters(job_id: str) -> Response:
    """``uws:parameters`` of the job."""
    with connection() as conn:
        found = _visible_job(conn, job_id)
    return Response(documents.parameters_document(found), mimetype=documents.XML_MIME)


@blueprint.post("/<job_id>/parameters")
def set_parameters(job_id: str) -> Response:
    """Change parameters of a PENDING job (409 once it was queued)."""
    params = request_params(request)
    if params.getall("UPLOAD"):
        raise InputError("UPLOAD can only be given when the job is created")
    with connection() as conn:
        _visible_job(conn, job_id)
        jobs.update_parameters(conn, job_id, params.items())
    return _see_other(_job_url(job_id))
