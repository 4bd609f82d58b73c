"""The Marshall's REST API (``/api/...``): JSON in and out, problem details on errors.

Callers authenticate with an API token (access layer) and need the ``consortium`` role.
Token requests are exempt from CSRF (a cross-site page cannot send the header); requests that
rely on the browser session must carry the CSRF token (``X-CSRFToken``) to change anything:
:mod:`soxsvo.web.identify` checks that for every path, this blueprint included, and answers a
missing token with a problem document here.
The OpenAPI 3 description is served at ``/api/openapi.json`` (:mod:`soxsvo.marshall.openapi`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from soxsvo.archive import products
from soxsvo.marshall import workflow
from soxsvo.marshall.detail import exists, history, transient_detail
from soxsvo.marshall.listing import ListQuery, list_counts, list_page
from soxsvo.marshall.lists import LISTS
from soxsvo.marshall.openapi import openapi_document
from soxsvo.marshall.spectra import spectrum_series
from soxsvo.marshall.views.support import actor, jsonable, workflow_config, writing
from soxsvo.marshall.workflow import WorkflowError
from soxsvo.web.auth import problem, require_role
from soxsvo.web.context import current_identity, reading
from soxsvo.web.security import exempt_from_csrf

blueprint = exempt_from_csrf(Blueprint("marshall_api", __name__, url_prefix="/api"))


@blueprint.errorhandler(WorkflowError)
def _workflow_error(exc: WorkflowError):
    titles = {404: "not found", 409: "conflict", 422: "invalid value"}
    return problem(exc.status, titles.get(exc.status, "error"), str(exc))


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise WorkflowError("the request body must be a JSON object", 422)
    return body


def _number(body: dict, key: str, kind: type = float, required: bool = False):
    value = body.get(key)
    if value is None:
        if required:
            raise WorkflowError(f"{key} is required", 422)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            kind is int and not isinstance(value, int)):
        raise WorkflowError(f"{key} must be a{'n integer' if kind is int else ' number'}", 422)
    return kind(value)


@blueprint.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API (public)."""
    return jsonify(openapi_document())


@blueprint.get("/lists")
@require_role("consortium")
def lists():
    """Every workflow list with its title and number of objects."""
    with reading() as conn:
        counts = list_counts(conn)
    return jsonify(lists=[{"name": k, "title": t, "count": counts[k]} for k, t in LISTS.items()])


@blueprint.get("/lists/<name>/transients")
@require_role("consortium")
def list_transients(name: str):
    """One page of a list, filtered and sorted like the list pages."""
    config = workflow_config()
    query = ListQuery.from_args(request.args, default_page_size=config.page_size,
                                max_page_size=config.max_page_size)
    with reading() as conn:
        page = list_page(conn, name, query, datetime.now(UTC))
    return jsonify(list=name, total=page.total, total_exact=page.exact, page=query.page,
                   page_size=query.page_size,
                   pages=page.pages, transients=jsonable(page.rows))


@blueprint.get("/transients/<int:transient_id>")
@require_role("consortium")
def get_transient(transient_id: int):
    """A transient with workflow state, aliases, photometry, spectra, classifications,
    comments and history."""
    with reading() as conn:
        detail = transient_detail(conn, transient_id)
    return jsonify(jsonable(detail))


@blueprint.get("/transients/<int:transient_id>/history")
@require_role("consortium")
def get_history(transient_id: int):
    """Who did what, when (newest first)."""
    with reading() as conn:
        if not exists(conn, transient_id):
            raise WorkflowError(f"no transient with id {transient_id}", 404)
        entries = history(conn, transient_id)
    return jsonify(transient_id=transient_id, history=jsonable(entries))


@blueprint.post("/transients/<int:transient_id>/move")
@require_role("consortium")
def move(transient_id: int):
    """Move to another list: ``{"list": "followup"}`` (``snooze_until`` for ``snoozed``)."""
    body = _body()
    until = None
    if body.get("snooze_until") is not None:
        try:
            until = datetime.fromisoformat(str(body["snooze_until"]))
        except ValueError:
            raise WorkflowError("snooze_until must be an ISO 8601 date", 422) from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
    target = body.get("list")
    if not isinstance(target, str):
        raise WorkflowError("list is required", 422)
    with writing() as conn:
        source = workflow.move(conn, workflow_config(), transient_id, target, actor(),
                               snooze_until=until)
    return jsonify(transient_id=transient_id, previous_list=source, list=target)


@blueprint.post("/transients/<int:transient_id>/priority")
@require_role("consortium")
def prioritise(transient_id: int):
    """Set the priority: ``{"priority": 1}`` (1 highest … 4)."""
    value = _number(_body(), "priority", int, required=True)
    with writing() as conn:
        previous = workflow.prioritise(conn, transient_id, value, actor())
    return jsonify(transient_id=transient_id, previous_priority=previous, priority=value)


@blueprint.post("/transients/<int:transient_id>/classification")
@require_role("consortium")
def classify(transient_id: int):
    """Classify: ``{"type": "SN Ia", "redshift": 0.03, "phase_days": -2,
    "spectrum_dp_id": "ADP..."}``."""
    body = _body()
    kind = body.get("type")
    spectrum = body.get("spectrum_dp_id")
    if not isinstance(kind, str) or (spectrum is not None and not isinstance(spectrum, str)):
        raise WorkflowError("type (a string of the taxonomy) is required", 422)
    with writing() as conn:
        new_id = workflow.classify(conn, workflow_config(), transient_id, type=kind,
                                   actor=actor(), identity=current_identity(),
                                   redshift=_number(body, "redshift"),
                                   phase_days=_number(body, "phase_days"),
                                   spectrum_dp_id=spectrum)
    return jsonify(transient_id=transient_id, classification_id=new_id, type=kind), 201


@blueprint.post("/transients/<int:transient_id>/classifications/<int:classification_id>/tns")
@require_role("consortium")
def report_to_tns(transient_id: int, classification_id: int):
    """Mark a classification as reported to TNS, which makes it public: ``{}`` or
    ``{"reported_at": "2025-01-31T12:00:00Z"}``."""
    body = _body()
    at = None
    if body.get("reported_at") is not None:
        try:
            at = datetime.fromisoformat(str(body["reported_at"]))
        except ValueError:
            raise WorkflowError("reported_at must be an ISO 8601 date", 422) from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    with writing() as conn:
        at = workflow.report_to_tns(conn, transient_id, classification_id, actor(), at)
    return jsonify(transient_id=transient_id, classification_id=classification_id,
                   reported_to_tns_at=at.isoformat())


@blueprint.post("/transients/<int:transient_id>/comments")
@require_role("consortium")
def add_comment(transient_id: int):
    """Comment: ``{"body": "@anna please take a spectrum"}``."""
    body = _body().get("body")
    if not isinstance(body, str):
        raise WorkflowError("body (the comment's text) is required", 422)
    with writing() as conn:
        comment_id = workflow.comment(conn, transient_id, body, actor())
    return jsonify(transient_id=transient_id, comment_id=comment_id,
                   mentions=workflow.mentions(body)), 201


@blueprint.get("/spectra/<dp_id>")
@require_role("consortium")
def spectrum(dp_id: str):
    """Wavelength (nm) and flux of an archived SOXS spectrum, binned for plotting."""
    with reading() as conn:
        product = products.find_product(conn, dp_id)
    if product is None or product.dp_id != dp_id or not product.is_spectrum:
        raise WorkflowError(f"no spectrum {dp_id}", 404)
    return jsonify(dp_id=dp_id, **spectrum_series(product.file_path))
