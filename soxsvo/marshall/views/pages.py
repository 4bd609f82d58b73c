"""The Marshall's pages (``/marshall/...``): list pages, the object page and their forms.

Thin views over :mod:`soxsvo.marshall.listing`, :mod:`~soxsvo.marshall.detail` and
:mod:`~soxsvo.marshall.workflow`; pages need the ``consortium`` role.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from soxsvo.marshall import workflow
from soxsvo.marshall.detail import transient_detail
from soxsvo.marshall.events import event_detail, list_events
from soxsvo.marshall.listing import SORTS, ListQuery, list_counts, list_page, surveys
from soxsvo.marshall.lists import LISTS, PRIORITIES
from soxsvo.marshall.rules import mjd_of
from soxsvo.marshall.stamps import StampError, latest_stamps, stamp_png
from soxsvo.marshall.thumbnails import BAND_COLOURS, thumbnails
from soxsvo.marshall.views.support import actor, jsonable, workflow_config, writing
from soxsvo.marshall.workflow import WorkflowError
from soxsvo.observing.plans import transient_observations
from soxsvo.web.auth import require_role
from soxsvo.web.context import current_identity, reading

blueprint = Blueprint("marshall", __name__, url_prefix="/marshall")
#: Most transients one bulk action may change.
MAX_BULK = 500


@blueprint.get("/")
@require_role("consortium")
def index():
    """The Marshall starts at the inbox."""
    return redirect(url_for("marshall.list_view", name="inbox"))


@blueprint.get("/<name>")
@require_role("consortium")
def list_view(name: str):
    """One workflow list: filtered, sorted, paged rows with thumbnails, and bulk actions."""
    if name not in LISTS:
        abort(404, description=f"no list {name}")
    config = workflow_config()
    try:
        query = ListQuery.from_args(request.args, default_page_size=config.page_size,
                                    max_page_size=config.max_page_size)
    except WorkflowError as exc:
        flash(str(exc), "error")
        query = ListQuery(page_size=config.page_size)
    now = datetime.now(UTC)
    with reading() as conn:
        page = list_page(conn, name, query, now)
        counts = list_counts(conn)
        ids = [row["transient_id"] for row in page.rows]
        thumbs = thumbnails(conn, ids)
        stamps = latest_stamps(conn, ids)
        survey_names = surveys(conn)
    return render_template(
        "marshall/list.html", page=page, counts=counts, lists=LISTS, current=name,
        thumbs=thumbs, stamps=stamps, sorts=SORTS, priorities=PRIORITIES, surveys=survey_names,
        taxonomy=config.taxonomy, targets=sorted(config.moves[name], key=list(LISTS).index),
        now_mjd=mjd_of(now), args=request.args)


@blueprint.get("/stamp/<int:stamp_id>.png")
@require_role("consortium")
def stamp(stamp_id: int):
    """One alert cutout as a PNG (drawn once, then cached; visible as its transient is)."""
    with reading() as conn:
        try:
            found = stamp_png(conn, stamp_id)
        except StampError as exc:
            abort(422, description=f"stamp {stamp_id}: {exc}")
    if found is None:
        abort(404, description=f"no stamp {stamp_id}")
    png, etag = found
    answer = Response(png, mimetype="image/png")
    answer.set_etag(etag)
    # private: the stamp is as private as its transient, no shared cache may keep it.
    answer.headers["Cache-Control"] = "private, max-age=86400"
    return answer.make_conditional(request)


@blueprint.get("/events")
@require_role("consortium")
def events():
    """GCN/LVK events, newest trigger first."""
    with reading() as conn:
        rows = list_events(conn)
        counts = list_counts(conn)
    return render_template("marshall/events.html", events=rows, counts=counts, lists=LISTS,
                           current="events")


@blueprint.get("/events/<path:name>")
@require_role("consortium")
def event_page(name: str):
    """One event: its notices in order and its candidates."""
    with reading() as conn:
        try:
            event = event_detail(conn, name, workflow_config().event_window_days)
        except WorkflowError:
            abort(404, description=f"no event {name}")
        counts = list_counts(conn)
    return render_template("marshall/event.html", e=event, counts=counts, lists=LISTS,
                           current="events", window=workflow_config().event_window_days)


def _back(default: str):
    """Redirect to the page the form came from (same site only)."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or parts.netloc or parts.scheme or target.startswith("//"):
        target = default
    return redirect(target, code=303)


@blueprint.post("/bulk")
@require_role("consortium")
def bulk():
    """Move or prioritise the ticked transients of a list page."""
    ids = request.form.getlist("transient_id", type=int)[:MAX_BULK]
    action = request.form.get("action", "")
    config, done, refused = workflow_config(), 0, []
    with writing() as conn:
        for transient_id in ids:
            try:
                if action == "move":
                    workflow.move(conn, config, transient_id, request.form.get("target", ""),
                                  actor())
                elif action == "priority":
                    workflow.prioritise(conn, transient_id,
                                        request.form.get("priority", 0, type=int), actor())
                else:
                    abort(400, description="action must be move or priority")
                done += 1
            except WorkflowError as exc:
                refused.append(f"{transient_id}: {exc}")
    flash(f"{done} of {len(ids)} transients changed", "info")
    for message in refused[:10]:
        flash(message, "error")
    return _back(url_for("marshall.index"))


@blueprint.get("/transient/<int:transient_id>")
@require_role("consortium")
def transient_page(transient_id: int):
    """Everything about one transient, with the workflow forms."""
    config = workflow_config()
    with reading() as conn:
        try:
            detail = transient_detail(conn, transient_id)
        except WorkflowError:
            abort(404, description=f"no transient {transient_id}")
        counts = list_counts(conn)
        observations = transient_observations(conn, transient_id)
    plot = {"photometry": jsonable(detail["photometry"]), "colours": BAND_COLOURS,
            "spectra": [s["dp_id"] for s in detail["spectra"]],
            "ra": detail["ra"], "dec": detail["dec"], "name": detail["name"]}
    return render_template(
        "marshall/transient.html", t=detail, plot=plot, counts=counts, lists=LISTS,
        observations=observations,
        current=detail["list"], priorities=PRIORITIES, taxonomy=config.taxonomy,
        now_mjd=mjd_of(datetime.now(UTC)),
        targets=sorted(config.moves.get(detail["list"], ()), key=list(LISTS).index))


def _act(transient_id: int, action) -> object:
    try:
        with writing() as conn:
            message = action(conn)
        flash(message, "info")
    except WorkflowError as exc:
        flash(str(exc), "error")
    return _back(url_for("marshall.transient_page", transient_id=transient_id))


@blueprint.post("/transient/<int:transient_id>/move")
@require_role("consortium")
def move(transient_id: int):
    """Move the transient to another list (snoozed: until the given date)."""
    target = request.form.get("target", "")
    until_text = request.form.get("snooze_until", "").strip()

    def run(conn):
        until = None
        if until_text:
            try:
                until = datetime.fromisoformat(until_text).replace(tzinfo=UTC)
            except ValueError:
                raise WorkflowError(f"snooze_until {until_text!r} is not a date", 422) from None
        workflow.move(conn, workflow_config(), transient_id, target, actor(),
                      snooze_until=until)
        return f"moved to {LISTS.get(target, target)}"
    return _act(transient_id, run)


@blueprint.post("/transient/<int:transient_id>/priority")
@require_role("consortium")
def priority(transient_id: int):
    """Set the transient's priority."""
    value = request.form.get("priority", 0, type=int)
    return _act(transient_id, lambda conn: (
        workflow.prioritise(conn, transient_id, value, actor()), f"priority set to {value}")[1])


def _optional_float(name: str) -> float | None:
    text = request.form.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise WorkflowError(f"{name} must be a number, got {text!r}", 422) from None


@blueprint.post("/transient/<int:transient_id>/classify")
@require_role("consortium")
def classify(transient_id: int):
    """Record a classification from the form."""
    def run(conn):
        workflow.classify(conn, workflow_config(), transient_id,
                          type=request.form.get("type", ""), actor=actor(),
                          identity=current_identity(),
                          redshift=_optional_float("redshift"),
                          phase_days=_optional_float("phase_days"),
                          spectrum_dp_id=request.form.get("spectrum_dp_id") or None)
        return f"classified as {request.form.get('type')}"
    return _act(transient_id, run)


@blueprint.post("/transient/<int:transient_id>/classification/<int:classification_id>/tns")
@require_role("consortium")
def report_to_tns(transient_id: int, classification_id: int):
    """Mark a classification as reported to TNS (it becomes public)."""
    def run(conn):
        workflow.report_to_tns(conn, transient_id, classification_id, actor())
        return "marked as reported to TNS: the classification is public now"
    return _act(transient_id, run)


@blueprint.post("/transient/<int:transient_id>/comment")
@require_role("consortium")
def comment(transient_id: int):
    """Add a comment."""
    def run(conn):
        workflow.comment(conn, transient_id, request.form.get("body", ""), actor())
        return "comment added"
    return _act(transient_id, run)
