"""REST API of the NTT night (``/api/nights/...``): thin over :mod:`soxsvo.observing.plans`.

Consortium members only (API token or session), like the rest of ``/api``; errors are problem
details (RFC 9457) from the application's one error handler.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from soxsvo.marshall.views.support import actor, jsonable, writing
from soxsvo.observing.chart import night_chart
from soxsvo.observing.config import ObservingConfig, PlanningError
from soxsvo.observing.night import current_night
from soxsvo.observing.plans import night_summary, plan_night, replan_night, version_diff
from soxsvo.observing.requests import FIELDS, set_request
from soxsvo.observing.triggers import proposals
from soxsvo.web.auth import require_role
from soxsvo.web.context import current_settings, reading
from soxsvo.web.security import exempt_from_csrf

blueprint = exempt_from_csrf(Blueprint("nights_api", __name__, url_prefix="/api/nights"))
#: The consortium's night page (``/nights/<date>``): timeline and ordered list of blocks.
pages = Blueprint("nights", __name__, url_prefix="/nights")


def _config() -> ObservingConfig:
    cached = current_app.extensions.get("soxsvo_observing_config")
    if cached is None:
        cached = ObservingConfig.from_settings(current_settings())
        current_app.extensions["soxsvo_observing_config"] = cached
    return cached


def _night(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlanningError(f"{text!r} is not a night: give the date of its evening, "
                            "YYYY-MM-DD") from None


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise PlanningError("the request body must be a JSON object")
    return body


def _now(body: dict) -> datetime | None:
    text = body.get("now")
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise PlanningError(f"now {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _too(body: dict) -> tuple[str, ...]:
    too = body.get("too", [])
    if isinstance(too, str):
        too = [too]
    if not isinstance(too, list) or not all(isinstance(t, str) and t for t in too):
        raise PlanningError("too must be a transient or event name, or a list of them")
    return tuple(too)


def _summary(night_date: date, version: int | None = None):
    with reading() as conn:
        return jsonable(night_summary(conn, night_date, version))


@blueprint.get("/<night>")
@require_role("consortium")
def show(night: str):
    """A night's plan (the current version, or ``?version=N``)."""
    version = request.args.get("version")
    if version is not None and not (version.isdigit() and int(version) >= 1):
        raise PlanningError("version must be a positive integer")
    return jsonify(_summary(_night(night), int(version) if version else None))


def _diff(night: str):
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if not old or not new or old < 1 or new < 1:
        raise PlanningError("from and to must be version numbers (positive integers)")
    with reading() as conn:
        return jsonable(version_diff(conn, _night(night), old, new))


@blueprint.get("/<night>/diff")
@require_role("consortium")
def diff(night: str):
    """What changed between two versions (``?from=1&to=2``): added, removed, moved blocks."""
    return jsonify(_diff(night))


def _request_values(body: dict) -> dict:
    values = {}
    for key, value in body.items():
        kind = FIELDS.get(key)
        if kind is None or value is None:
            values[key] = value
        elif kind is datetime:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                raise PlanningError(f"{key} {value!r} is not an ISO 8601 time") from None
            values[key] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise PlanningError(f"{key} must be a number")
        else:
            values[key] = float(value)
    return values


@blueprint.put("/requests/<int:transient_id>")
@require_role("consortium")
def put_request(transient_id: int):
    """What is asked of a transient's observation: exposure or S/N, cadence, window,
    constraints (replaces the previous request)."""
    values = {k: v for k, v in _request_values(_body()).items() if v is not None}
    with writing() as conn:
        stored = set_request(conn, transient_id, values, _config(), actor=actor())
    return jsonify(jsonable(stored))


@blueprint.post("/<night>/plan")
@require_role("consortium")
def plan(night: str):
    """Plan the night from the Marshall's lists, ESO targets and fixed blocks."""
    night_date = _night(night)
    reason = str(_body().get("reason") or "afternoon plan")
    with writing() as conn:
        plan_night(conn, night_date, _config(), actor=actor(), reason=reason)
    return jsonify(_summary(night_date)), 201


@blueprint.post("/<night>/replan")
@require_role("consortium")
def replan(night: str):
    """Re-plan from now (or ``now``), with ToOs (``too``) first; keeps what was observed."""
    night_date, body = _night(night), _body()
    too = _too(body)
    reason = str(body.get("reason") or (f"ToO {', '.join(too)}" if too else "re-plan"))
    with writing() as conn:
        replan_night(conn, night_date, _config(), actor=actor(), reason=reason,
                     now=_now(body), too=too)
    return jsonify(_summary(night_date)), 201


@pages.get("/")
@require_role("consortium")
def tonight():
    """Tonight's page."""
    return night_page(current_night(datetime.now(UTC)).isoformat())


@pages.get("/<night>")
@require_role("consortium")
def night_page(night: str):
    """A night: timeline (altitudes, twilights, moon, blocks, now), blocks with reasons, what
    was left out or displaced, the GTO/ESO share; any stored version (``?version=N``)."""
    night_date = _night(night)
    version = request.args.get("version", type=int)
    with reading() as conn:
        chart = jsonable(night_chart(conn, night_date, _config(), version))
        offered = jsonable(proposals(conn, night_date, _config()))
    return render_template("nights/night.html", chart=chart, proposals=offered,
                           now=datetime.now(UTC).isoformat())


@pages.post("/<night>/replan")
@require_role("consortium")
def accept_proposal(night: str):
    """Accept a proposed re-plan (one click on the night page): re-plan from now with the
    event's candidates; a refusal is shown on the page."""
    night_date = _night(night)
    event = request.form.get("too", "").strip()
    if not event:
        raise PlanningError("no event to re-plan for")
    try:
        with writing() as conn:
            replan_night(conn, night_date, _config(), actor=actor(),
                         reason=f"ToO {event} (accepted proposal)", too=(event,))
    except PlanningError as exc:
        flash(str(exc), "error")
    return redirect(url_for("nights.night_page", night=night_date.isoformat()))


@pages.get("/<night>/diff")
@require_role("consortium")
def diff_page(night: str):
    """Two versions of a night side by side: blocks added, removed (why), moved."""
    return render_template("nights/diff.html", diff=_diff(night))
