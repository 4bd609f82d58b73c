"""Night plans in the database: plan a night, re-plan it from now, show it, record executions.

Every call stores a new version of the night's plan with who made it and why, the targets
left out and the blocks displaced, each with its reason; nothing is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import psycopg
from psycopg.types.json import Jsonb

from soxsvo.archive.prepare import PreparedProduct
from soxsvo.errors import ConflictError, NotFoundError
from soxsvo.observing.config import ObservingConfig, PlanningError
from soxsvo.observing.exposure import exposure_time
from soxsvo.observing.night import NightModel, night_model
from soxsvo.observing.scheduler import (
    Block,
    LeftOut,
    Plan,
    Target,
    replan,
    schedule,
)
from soxsvo.observing.targets import eso_targets, fixed_targets, marshall_targets, too_targets

#: What an executed block ended as (each one a status the scheduler keeps in place).
EXECUTION_STATUSES = ("done", "aborted", "failed_qc")


def cached_night(night_date: date, config: ObservingConfig) -> NightModel:
    """The night model, computed once per night and site (0.5-3 s of astroplan's twilight
    searches that a 2 a.m. re-plan need not pay again), with ``config``'s limits and shares.

    Why keyed on the site only: the astronomy depends on where, which twilight and the grid
    step; a re-plan with other shares or trigger settings must not recompute it.
    """
    key = (night_date, config.longitude, config.latitude, config.elevation, config.twilight,
           config.step_seconds)
    model = _NIGHTS.get(key)
    if model is None:
        if len(_NIGHTS) >= _NIGHTS_KEPT:
            _NIGHTS.pop(next(iter(_NIGHTS)))
        model = _NIGHTS[key] = night_model(night_date, config)
    return replace(model, config=config)


#: Night models by night and site, oldest first; a handful of nights is all a server plans.
_NIGHTS: dict[tuple, NightModel] = {}
_NIGHTS_KEPT = 8


@dataclass(frozen=True)
class StoredPlan:
    """A version of a night's plan as stored: the plan, and what the version displaced."""

    night_date: date
    version: int
    plan: Plan
    displaced: list[LeftOut]


def candidates(conn: psycopg.Connection, model: NightModel, config: ObservingConfig, *,
               allow_empty: bool = False) -> list[Target]:
    """Everything a night could hold: fixed blocks, Marshall targets, ESO targets.

    Raises :class:`PlanningError` when there is no science target, unless ``allow_empty``
    (a re-plan for ToOs needs no other target).
    """
    science = marshall_targets(conn, model, config) + eso_targets(conn)
    if not science and not allow_empty:
        raise PlanningError("nothing to plan: the follow-up and classification lists hold no "
                            f"target of priority 1-{config.lowest_priority} and no ESO target "
                            "is active")
    return fixed_targets(config) + science


def plan_night(conn: psycopg.Connection, night_date: date, config: ObservingConfig, *,
               actor: str, reason: str = "afternoon plan") -> StoredPlan:
    """Plan the night of ``night_date`` from scratch and store it as a new version.

    Raises
    ------
    ConflictError
        When blocks of the night were already executed: re-plan it instead.
    PlanningError
        When there is nothing to plan.
    """
    model = cached_night(night_date, config)
    with conn.transaction():
        _lock(conn, night_date)
        current = _current_version(conn, night_date)
        if current and conn.execute(
                "SELECT 1 FROM observing.block WHERE night_date = %s AND version = %s AND "
                "status <> 'scheduled' LIMIT 1", (night_date, current)).fetchone():
            raise ConflictError(f"the night of {night_date} has started: re-plan it "
                                "(soxsvo night replan) to keep what was observed")
        plan = mark_backups(schedule(model, candidates(conn, model, config),
                                     budgets=night_budgets(conn, model)))
        version = _store(conn, model, plan, [], actor=actor, reason=reason, replanned_from=None)
    return StoredPlan(night_date, version, plan, [])


def replan_night(conn: psycopg.Connection, night_date: date, config: ObservingConfig, *,
                 actor: str, reason: str, now: datetime | None = None,
                 too: tuple[str, ...] = ()) -> StoredPlan:
    """Re-plan from ``now``: keep executed, running and past blocks, add the ToOs named by
    ``too`` (transients or events) at priority 0, re-order the rest.

    Raises
    ------
    NotFoundError
        No plan for the night, or an unknown ToO name.
    PlanningError
        Nothing left of the night, or a ToO never observable tonight.
    """
    now = now or datetime.now(UTC)
    model = cached_night(night_date, config)
    with conn.transaction():
        _lock(conn, night_date)
        current = _current_version(conn, night_date)
        if current is None:
            raise NotFoundError(f"the night of {night_date} has no plan yet: plan it first")
        previous = load_blocks(conn, model, night_date, current)
        toos = [t for name in too for t in too_targets(conn, name, model, config)]
        too_keys = {t.key for t in toos}
        pool = toos + [t for t in candidates(conn, model, config, allow_empty=bool(toos))
                       if t.key not in too_keys]
        plan, displaced = replan(model, previous, pool, now,
                                 budgets=night_budgets(conn, model))
        plan = mark_backups(plan)
        _refuse_unobservable_toos(plan, too_keys)
        version = _store(conn, model, plan, displaced, actor=actor, reason=reason,
                         replanned_from=now)
    return StoredPlan(night_date, version, plan, displaced)


def night_budgets(conn: psycopg.Connection, model: NightModel) -> dict[str, float]:
    """Hours tonight may give GTO and ESO: each programme's share of the night, less what the
    other planned nights of the semester gave it beyond its share of them.

    Why only less, never more: the share is a ceiling over the semester ("the consortium
    never takes more than its share"); time a programme left unused on earlier nights is not
    owed to it tonight.
    """
    config, night_date = model.config, model.night_date
    first, last = semester_of(night_date)
    used = dict(conn.execute(
        "SELECT b.programme, sum(extract(epoch FROM b.end_at - b.start_at)) / 3600 "
        "FROM observing.block b JOIN observing.night n ON n.night_date = b.night_date "
        "AND n.current_version = b.version WHERE n.night_date BETWEEN %s AND %s "
        "AND n.night_date <> %s GROUP BY b.programme", (first, last, night_date)).fetchall())
    other_hours = float(conn.execute(
        "SELECT coalesce(sum(extract(epoch FROM end_at - start_at)) / 3600, 0) "
        "FROM observing.night WHERE night_date BETWEEN %s AND %s AND night_date <> %s",
        (first, last, night_date)).fetchone()[0])
    budgets = {}
    for programme, share in (("GTO", config.gto_share), ("ESO", 1 - config.gto_share)):
        excess = float(used.get(programme, 0.0)) - share * other_hours
        budgets[programme] = max(0.0, share * model.hours - max(0.0, excess))
    return budgets


def _refuse_unobservable_toos(plan: Plan, too_keys: set[str]) -> None:
    missing = [item for item in plan.left_out
               if item.target.key in too_keys and item.code not in ("no_time", "share")]
    if missing and len(missing) == len(too_keys):
        raise PlanningError("; ".join(f"ToO {m.target.name} cannot be observed tonight: "
                                      f"{m.reason}" for m in missing))


def _lock(conn: psycopg.Connection, night_date: date) -> None:
    # Two planners of one night (the afternoon plan, an alert's re-plan) take turns, so that
    # versions are numbered without gaps and the newest always starts from the one before.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('soxsvo_night'), %s)",
                 (night_date.toordinal(),))


def _current_version(conn: psycopg.Connection, night_date: date) -> int | None:
    row = conn.execute("SELECT current_version FROM observing.night WHERE night_date = %s",
                       (night_date,)).fetchone()
    return row[0] if row else None


def _store(conn: psycopg.Connection, model: NightModel, plan: Plan, displaced: list[LeftOut],
           *, actor: str, reason: str, replanned_from: datetime | None) -> int:
    night_date = model.night_date
    version = (_current_version(conn, night_date) or 0) + 1
    conn.execute(
        "INSERT INTO observing.night (night_date, current_version, start_at, end_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (night_date) DO UPDATE SET "
        "current_version = excluded.current_version", (night_date, version, model.start,
                                                        model.end))
    conn.execute(
        "INSERT INTO observing.plan_version (night_date, version, actor, reason, "
        "replanned_from, left_out, displaced) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (night_date, version, actor, reason, replanned_from,
         Jsonb([_left_out_json(item) for item in plan.left_out]),
         Jsonb([_left_out_json(item) for item in displaced])))
    conn.cursor().executemany(
        "INSERT INTO observing.block (night_date, version, obs_id, target_key, target_name, ra, "
        "dec, programme, priority, too, source, transient_id, eso_target_id, first_step, "
        "last_step, start_at, end_at, exposure_s, max_airmass, airmass_start, airmass_end, "
        "has_window, status, reason, planned_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
        "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
        "coalesce((SELECT b.planned_at FROM observing.block b WHERE b.night_date = %s AND "
        "b.version = %s AND b.target_key = %s AND b.start_at = %s), now()))",
        [(night_date, version, obs_id(night_date, b.target), b.target.key, b.target.name,
          b.target.ra, b.target.dec, b.target.programme, b.target.priority, b.target.too,
          b.target.source, b.target.transient_id, b.target.eso_target_id, b.first, b.last,
          b.start, b.end, b.target.exposure, b.target.max_airmass, b.airmass_start,
          b.airmass_end, b.target.window is not None, b.status, b.reason,
          night_date, version - 1, b.target.key, b.start)
         for b in plan.blocks])
    return version


def obs_id(night_date: date, target: Target) -> str:
    """The ObsLocTAP ``obs_id`` of a target's observation on a night (stable over versions)."""
    return f"SOXS-{night_date:%Y%m%d}-{target.key}"


def _left_out_json(item: LeftOut) -> dict:
    return {"target": item.target.name, "key": item.target.key, "priority": item.target.priority,
            "programme": item.target.programme, "code": item.code, "reason": item.reason,
            "backup": item.backup}


#: Seeing (arcsec) and airmass a back-up target must still reach the default S/N in at most
#: ``max_exposure`` under: the conditions the night falls back to when they go bad.
BACKUP_SEEING, BACKUP_AIRMASS = 2.0, 1.5


def mark_backups(plan: Plan) -> Plan:
    """Flag the targets left out for lack of time or share that would still reach the default
    S/N in poor seeing: the list the night falls back on when seeing or clouds spoil a block."""
    config = plan.model.config
    for n, item in enumerate(plan.left_out):
        mag = item.target.mag
        if item.code not in ("no_time", "share") or mag is None:
            continue
        seconds = exposure_time(mag, config.default_snr, config, seeing=BACKUP_SEEING,
                                airmass=BACKUP_AIRMASS,
                                moon_illumination=plan.model.moon_illumination)
        if seconds <= config.max_exposure:
            plan.left_out[n] = replace(item, backup=True, reason=(
                f"{item.reason}; back-up for poor seeing ({BACKUP_SEEING:.0f} arcsec: "
                f"{seconds / 60:.0f} min for S/N {config.default_snr:.0f})"))
    return plan


_BLOCK_COLUMNS = ("target_key, target_name, ra, dec, programme, priority, exposure_s, source, "
                  "max_airmass, too, transient_id, eso_target_id, first_step, last_step, "
                  "start_at, end_at, airmass_start, airmass_end, reason, status")


def load_blocks(conn: psycopg.Connection, model: NightModel, night_date: date,
                version: int) -> list[Block]:
    """The blocks of one stored version, in time order."""
    rows = conn.execute(f"SELECT {_BLOCK_COLUMNS} FROM observing.block WHERE night_date = %s "
                        "AND version = %s ORDER BY first_step", (night_date, version)).fetchall()
    blocks = []
    for (key, name, ra, dec, programme, priority, exposure, source, airmass, too, tid, eid,
         first, last, start, end, am0, am1, reason, status) in rows:
        target = Target(key=key, name=name, ra=ra, dec=dec, programme=programme,
                        priority=priority, exposure=exposure, source=source,
                        max_airmass=airmass, too=too, transient_id=tid, eso_target_id=eid)
        blocks.append(Block(target, first, last, start, end, am0, am1, reason, status))
    return blocks


def night_summary(conn: psycopg.Connection, night_date: date,
                  version: int | None = None) -> dict:
    """A night's plan as plain data: the night, the version (who, why), blocks, left out.

    Read through the caller's connection, so row-level security decides which blocks show.
    """
    night = conn.execute("SELECT current_version, start_at, end_at FROM observing.night "
                         "WHERE night_date = %s", (night_date,)).fetchone()
    if night is None:
        raise NotFoundError(f"the night of {night_date} has no plan")
    version = version or night[0]
    meta = conn.execute("SELECT created_at, actor, reason, replanned_from, left_out, displaced "
                        "FROM observing.plan_version WHERE night_date = %s AND version = %s",
                        (night_date, version)).fetchone()
    if meta is None:
        raise NotFoundError(f"the night of {night_date} has no version {version}")
    blocks = conn.execute(
        "SELECT obs_id, target_name, programme, priority, too, start_at, end_at, exposure_s, "
        "airmass_start, airmass_end, status, reason, ra, dec FROM observing.block "
        "WHERE night_date = %s AND version = %s ORDER BY start_at",
        (night_date, version)).fetchall()
    names = ("obs_id", "target", "programme", "priority", "too", "start", "end", "exposure_s",
             "airmass_start", "airmass_end", "status", "reason", "ra", "dec")
    return {"night": night_date.isoformat(), "start": night[1], "end": night[2],
            "version": version, "current_version": night[0], "created_at": meta[0],
            "actor": meta[1], "reason": meta[2], "replanned_from": meta[3],
            "blocks": [dict(zip(names, row, strict=True)) for row in blocks],
            "left_out": meta[4], "displaced": meta[5]}


def record_execution(conn: psycopg.Connection, plan_obs_id: str, *, status: str,
                     start: datetime, end: datetime, actor: str, seeing: float | None = None,
                     airmass: float | None = None, archive_obs_id: str | None = None) -> None:
    """Record that the block ``plan_obs_id`` was executed, and mark it in the current plan."""
    if status not in EXECUTION_STATUSES:
        raise PlanningError(f"execution status must be one of {', '.join(EXECUTION_STATUSES)}")
    with conn.transaction():
        row = conn.execute(
            "SELECT b.night_date, b.transient_id FROM observing.block b JOIN observing.night n "
            "ON n.night_date = b.night_date AND n.current_version = b.version "
            "WHERE b.obs_id = %s", (plan_obs_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no block {plan_obs_id!r} in a current night plan")
        conn.execute(
            "INSERT INTO observing.execution (night_date, plan_obs_id, archive_obs_id, "
            "transient_id, start_at, end_at, airmass, seeing, status, recorded_by) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (row[0], plan_obs_id, archive_obs_id, row[1], start, end, airmass, seeing, status,
             actor))
        conn.execute(
            "UPDATE observing.block b SET status = %s FROM observing.night n "
            "WHERE n.night_date = b.night_date AND n.current_version = b.version "
            "AND b.obs_id = %s", (status, plan_obs_id))



def transient_observations(conn: psycopg.Connection, transient_id: int) -> list[dict]:
    """A transient's blocks in the current plan of every night, newest night first, with
    what was recorded of their execution (through the caller's row-level security)."""
    rows = conn.execute(
        "SELECT b.night_date, b.obs_id, b.start_at, b.end_at, b.status, b.too, b.reason, "
        "x.seeing, x.airmass, x.archive_obs_id FROM observing.block b JOIN observing.night n "
        "ON n.night_date = b.night_date AND n.current_version = b.version "
        "LEFT JOIN LATERAL (SELECT seeing, airmass, archive_obs_id FROM observing.execution "
        "WHERE plan_obs_id = b.obs_id ORDER BY recorded_at DESC LIMIT 1) x ON true "
        "WHERE b.transient_id = %s ORDER BY b.night_date DESC, b.start_at",
        (transient_id,)).fetchall()
    names = ("night", "obs_id", "start", "end", "status", "too", "reason", "seeing",
             "airmass", "archive_obs_id")
    return [dict(zip(names, row, strict=True)) for row in rows]


#: How far (arcsec) an archived observation may point from a block's target to be its
#: execution, and how long (minutes) before the block's start or after its end it may begin.
LINK_RADIUS_ARCSEC = 5.0
LINK_SLACK_MINUTES = 60


def link_archive_observations(conn: psycopg.Connection, night_date: date, *,
                              actor: str) -> list[tuple[str, str]]:
    """Record the night's archived observations (``soxs.observation``, from the raw frames'
    headers) as executions of the blocks of its current plan.

    An observation whose OB name is a block's ``obs_id`` is that block's; otherwise the block
    of the current plan whose target is within :data:`LINK_RADIUS_ARCSEC` and whose time
    (widened by :data:`LINK_SLACK_MINUTES`) contains the observation's start. Observations
    already recorded are skipped, so running it again changes nothing.

    Returns
    -------
    list of (plan obs_id, archive obs_id)
        The links made now.
    """
    rows = conn.execute(
        """SELECT DISTINCT ON (o.obs_id) b.obs_id, o.obs_id, o.status, o.mjd_start, o.mjd_end,
                  o.airmass, o.seeing
           FROM soxs.observation o
           JOIN observing.night n ON n.night_date = %(night)s
           JOIN observing.block b ON b.night_date = n.night_date AND b.version = n.current_version
           WHERE o.night = %(night)s
             AND NOT EXISTS (SELECT 1 FROM observing.execution x
                             WHERE x.archive_obs_id = o.obs_id)
             AND (o.ob_name = b.obs_id
                  OR (q3c_join(b.ra, b.dec, o.ra, o.dec, %(radius)s)
                      AND to_timestamp((o.mjd_start - 40587) * 86400)
                          BETWEEN b.start_at - make_interval(mins => %(slack)s::int)
                              AND b.end_at + make_interval(mins => %(slack)s::int)))
           ORDER BY o.obs_id, (o.ob_name = b.obs_id) DESC, b.start_at""",
        {"night": night_date, "radius": LINK_RADIUS_ARCSEC / 3600,
         "slack": LINK_SLACK_MINUTES}).fetchall()
    conn.rollback()
    links = []
    for plan_obs_id, archive_obs_id, status, mjd0, mjd1, airmass, seeing in rows:
        start, end = _utc_of_mjd(mjd0), _utc_of_mjd(max(mjd1, mjd0 + 1 / 86400))
        record_execution(conn, plan_obs_id, status="done" if status == "completed"
                         else "aborted", start=start, end=end, actor=actor, seeing=seeing,
                         airmass=airmass if airmass and airmass >= 1 else None,
                         archive_obs_id=archive_obs_id)
        links.append((plan_obs_id, archive_obs_id))
    return links


def record_registered(conn: psycopg.Connection, registered: Iterable[PreparedProduct], *,
                      actor: str) -> list[tuple[str, str]]:
    """Record the observations of newly registered products as executions of the planned
    blocks of their nights (what ``soxsvo night record`` does); ``soxsvo watch`` calls it
    after each commit. Nights without a plan are skipped.

    Returns
    -------
    list of (plan obs_id, archive obs_id)
        The links made now.
    """
    # mapped["observation"][3] is the night (date of its evening) registration computed.
    wanted = sorted({date.fromisoformat(p.mapped["observation"][3])
                     for p in registered if p.mapped})
    planned = [row[0] for row in conn.execute(
        "SELECT night_date FROM observing.night WHERE night_date = ANY(%s)", (wanted,))]
    conn.rollback()
    links = []
    for night_date in planned:
        links += link_archive_observations(conn, night_date, actor=actor)
    return links


def _utc_of_mjd(mjd: float) -> datetime:
    return datetime.fromtimestamp((mjd - 40587.0) * 86400.0, tz=UTC)


def version_diff(conn: psycopg.Connection, night_date: date, old: int, new: int) -> dict:
    """What changed from version ``old`` to ``new`` of a night's plan: blocks added, removed
    (with the reason the newer version gives) and moved (another start time)."""
    versions = {row[0] for row in conn.execute(
        "SELECT version FROM observing.plan_version WHERE night_date = %s AND version IN "
        "(%s, %s)", (night_date, old, new)).fetchall()}
    missing = sorted({old, new} - versions)
    if missing:
        raise NotFoundError(f"the night of {night_date} has no version {missing[0]}")

    def blocks(version: int) -> dict[str, tuple]:
        return {row[0]: row[1:] for row in conn.execute(
            "SELECT target_key, target_name, start_at, end_at, programme, priority "
            "FROM observing.block WHERE night_date = %s AND version = %s",
            (night_date, version)).fetchall()}

    before, after = blocks(old), blocks(new)
    why = {item["key"]: item["reason"] for column in ("left_out", "displaced") for item in
           conn.execute(f"SELECT {column} FROM observing.plan_version WHERE night_date = %s "
                        "AND version = %s", (night_date, new)).fetchone()[0]}
    names = ("target", "start", "end", "programme", "priority")
    return {
        "night": night_date.isoformat(), "from": old, "to": new,
        "added": [dict(zip(names, after[k], strict=True)) for k in after if k not in before],
        "removed": [{**dict(zip(names, before[k], strict=True)),
                     "reason": why.get(k, "not in the newer version")}
                    for k in before if k not in after],
        "moved": [{"target": after[k][0], "from_start": before[k][1], "to_start": after[k][1]}
                  for k in after if k in before and before[k][1] != after[k][1]],
    }


def semester_of(night_date: date) -> tuple[date, date]:
    """The ESO semester (period) a night belongs to: 1 April-30 September or 1 October-31
    March, as first and last night."""
    if 4 <= night_date.month <= 9:
        return date(night_date.year, 4, 1), date(night_date.year, 9, 30)
    year = night_date.year if night_date.month >= 10 else night_date.year - 1
    return date(year, 10, 1), date(year + 1, 3, 31)


def semester_share(conn: psycopg.Connection, night_date: date, config: ObservingConfig) -> dict:
    """Hours planned or executed per programme over the planned nights of the semester of
    ``night_date`` (current versions), against each programme's share of those nights."""
    first, last = semester_of(night_date)
    hours = dict(conn.execute(
        "SELECT b.programme, sum(extract(epoch FROM b.end_at - b.start_at)) / 3600 "
        "FROM observing.block b JOIN observing.night n ON n.night_date = b.night_date "
        "AND n.current_version = b.version WHERE n.night_date BETWEEN %s AND %s "
        "GROUP BY b.programme", (first, last)).fetchall())
    nights, total = conn.execute(
        "SELECT count(*), coalesce(sum(extract(epoch FROM end_at - start_at)) / 3600, 0) "
        "FROM observing.night WHERE night_date BETWEEN %s AND %s", (first, last)).fetchone()
    return {"first": first.isoformat(), "last": last.isoformat(), "nights": nights,
            "hours": {p: float(hours.get(p, 0.0)) for p in ("GTO", "ESO", "calibration")},
            "budget": {"GTO": config.gto_share * float(total),
                       "ESO": (1 - config.gto_share) * float(total)}}
