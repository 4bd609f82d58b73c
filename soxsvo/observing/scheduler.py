"""The scheduler: fill a night with blocks, by priority, and say why for each decision.

A priority scheduler in the manner of astroplan's :class:`~astroplan.PriorityScheduler`,
vectorised over the night grid: targets are taken in priority order (ToOs and fixed blocks
first), each placed where it is observable from start to end (every grid step of the block
meets every constraint) in the free time left, at its best altitude, or at once for ToOs.
Greedy in priority order is what makes the promise "a lower priority never displaces a
higher one" true by construction; measured at 250 targets it takes milliseconds
(docs/performance.md), so it re-plans at 2 a.m. without a solver.

Nothing here touches the database: :mod:`soxsvo.observing.plans` loads and stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from soxsvo.observing.config import ObservingConfig, PlanningError
from soxsvo.observing.night import NightModel, Tracks, tracks

#: Programmes: the consortium's time (GTO, ToOs included), ESO's, and calibrations (neither).
GTO, ESO, CALIBRATION = "GTO", "ESO", "calibration"
#: Statuses of a block that a re-plan keeps where it is.
KEPT_STATUSES = frozenset({"running", "done", "aborted", "failed_qc"})


@dataclass(frozen=True)
class Target:
    """Something to observe tonight, with its constraints.

    ``priority`` is 0 for ToOs and fixed blocks, then the Marshall's 1 (highest) to 4;
    ``exposure`` is the science time in seconds (overheads are added by the scheduler).
    """

    key: str
    name: str
    ra: float
    dec: float
    programme: str
    priority: int
    exposure: float
    source: str
    max_airmass: float = 2.0
    min_moon_distance: float | None = None
    window: tuple[datetime, datetime] | None = None
    at_start: bool = False
    too: bool = False
    transient_id: int | None = None
    eso_target_id: int | None = None
    mag: float | None = None


@dataclass(frozen=True)
class Block:
    """A target placed in the night: grid steps ``first``..``last`` (both observable)."""

    target: Target
    first: int
    last: int
    start: datetime
    end: datetime
    airmass_start: float
    airmass_end: float
    reason: str
    status: str = "scheduled"

    @property
    def hours(self) -> float:
        """Duration in hours."""
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class LeftOut:
    """A target not in the plan, and why."""

    target: Target
    reason: str
    code: str
    backup: bool = False


@dataclass
class Plan:
    """A night's blocks in time order, the targets left out, and the time of each programme."""

    model: NightModel
    blocks: list[Block] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    budgets: dict[str, float] = field(default_factory=dict)

    def hours(self, programme: str) -> float:
        """Hours of the night the plan gives ``programme``."""
        return sum(b.hours for b in self.blocks if b.target.programme == programme)


def block_steps(target: Target, config: ObservingConfig) -> int:
    """Grid intervals a target's block lasts: exposure plus overheads, rounded up."""
    return max(1, int(np.ceil((target.exposure + config.overhead_seconds)
                              / config.step_seconds)))


def observable(model: NightModel, targets: list[Target], track: Tracks) -> np.ndarray:
    """(N, T) boolean: target n meets every constraint at grid step t."""
    config = model.config
    min_alt = np.array([max(config.min_altitude, np.degrees(np.arcsin(1 / t.max_airmass)))
                        for t in targets])[:, None]
    moon = np.array([t.min_moon_distance or config.min_moon_distance for t in targets])[:, None]
    dec = np.array([t.dec for t in targets])[:, None]
    ok = ((track.altitude >= min_alt) & (np.abs(track.hour_angle) <= config.max_hour_angle)
          & (track.moon_distance >= moon)
          & (dec >= config.min_declination) & (dec <= config.max_declination))
    for n, target in enumerate(targets):
        if target.window is not None:
            first, last = model.index_at(target.window[0]), model.index_at(target.window[1])
            ok[n, :first] = False
            ok[n, last + 1:] = False
    return ok


def _runs(ok: np.ndarray, length: int) -> np.ndarray:
    """Starts s where ``ok[..., s : s + length + 1]`` is all True (False where it overflows)."""
    steps = ok.shape[-1]
    result = np.zeros(ok.shape, dtype=bool)
    if length + 1 > steps:
        return result
    bad = np.concatenate([np.zeros(ok.shape[:-1] + (1,), dtype=int),
                          np.cumsum(~ok, axis=-1)], axis=-1)
    window_bad = bad[..., length + 1:] - bad[..., : steps - length]
    result[..., : steps - length] = window_bad == 0
    return result


def _why_not_observable(model: NightModel, target: Target, track: Tracks, n: int,
                        ok_row: np.ndarray, steps: int) -> tuple[str, str]:
    config = model.config
    if not config.min_declination <= target.dec <= config.max_declination:
        return ("pointing", f"declination {target.dec:+.1f} deg is outside the NTT's limits "
                f"({config.min_declination:+.0f}..{config.max_declination:+.0f} deg)")
    if target.window is not None and not ok_row.any():
        return ("window", "its time window does not overlap the night when it is observable")
    if not ok_row.any():
        best = float(track.altitude[n].max())
        if best < config.min_altitude:
            return ("not_observable", f"never above {config.min_altitude:.0f} deg altitude "
                    f"tonight (highest {best:.1f} deg)")
        return ("constraint", "its airmass, hour-angle or moon-distance limits are never met "
                f"together tonight (moon {model.moon_illumination:.0%} illuminated)")
    minutes = steps * config.step_seconds / 60
    return ("too_short", f"observable for less than the block's {minutes:.0f} minutes at a "
            "stretch")


def schedule(model: NightModel, targets: list[Target], *, now_index: int = 0,
             kept: tuple[Block, ...] = (), budgets: dict[str, float] | None = None) -> Plan:
    """Plan the night from grid step ``now_index`` on, around the blocks in ``kept``.

    Parameters
    ----------
    model : NightModel
        The night.
    targets : list of Target
        Candidates; the order among equal priorities is kept (the loader sorts them).
    now_index : int, optional
        First grid step a new block may start at (a re-plan starts from now).
    kept : tuple of Block, optional
        Blocks that stay where they are (executed and running ones); their time counts
        against their programme's share.
    budgets : dict, optional
        Hours the night may give GTO and ESO (default: ``gto_share`` of the night and the
        rest; :func:`soxsvo.observing.plans.night_budgets` lowers them after earlier nights
        of the semester took more).

    Returns
    -------
    Plan
    """
    config = model.config
    plan = Plan(model, blocks=list(kept))
    free = np.ones(model.steps, dtype=bool)  # interval t..t+1 is free
    free[:now_index] = False
    free[-1] = False
    for block in kept:
        free[block.first:block.last] = False
    plan.budgets = budgets or {GTO: config.gto_share * model.hours,
                               ESO: (1 - config.gto_share) * model.hours}
    used = {GTO: sum(b.hours for b in kept if b.target.programme == GTO),
            ESO: sum(b.hours for b in kept if b.target.programme == ESO)}
    if not targets:
        return plan
    track = tracks(model, np.array([t.ra for t in targets]), np.array([t.dec for t in targets]))
    ok = observable(model, targets, track)
    order = sorted(range(len(targets)),
                   key=lambda n: (targets[n].priority, not targets[n].at_start, n))
    for n in order:
        target = targets[n]
        steps = block_steps(target, config)
        valid = _runs(ok[n], steps)
        if not valid.any():
            code, why = _why_not_observable(model, target, track, n, ok[n], steps)
            plan.left_out.append(LeftOut(target, why, code))
            continue
        hours = steps * config.step_seconds / 3600
        budget = plan.budgets.get(target.programme)
        if budget is not None and used[target.programme] + hours > budget + 1e-9:
            plan.left_out.append(LeftOut(
                target, f"{target.programme} share exhausted ({used[target.programme]:.1f} h "
                f"of {budget:.1f} h used)", "share"))
            continue
        starts = valid & _runs(free, steps - 1)
        if not starts.any():
            plan.left_out.append(LeftOut(
                target, "observable, but the time it is observable is taken by blocks of "
                f"priority {target.priority} or higher", "no_time"))
            continue
        block = _place(model, target, track, n, starts, steps)
        free[block.first:block.last] = False
        if budget is not None:
            used[target.programme] += hours
        plan.blocks.append(block)
    plan.blocks.sort(key=lambda b: b.first)
    return plan


def _place(model: NightModel, target: Target, track: Tracks, n: int, starts: np.ndarray,
           steps: int) -> Block:
    candidates = np.flatnonzero(starts)
    if target.too or target.at_start:
        first = int(candidates[0])
        why = "as early as possible" if target.too else "first thing it is observable"
    else:
        # Best airmass over the block: the lowest of its start/end altitudes is maximised,
        # which centres a block on the meridian when it can be.
        worst = np.minimum(track.altitude[n, candidates], track.altitude[n, candidates + steps])
        first = int(candidates[np.argmax(worst)])
        why = "at its best airmass in the free time"
    last = first + steps
    airmass = track.airmass(n)
    reason = (f"priority {target.priority} ({target.source}); {why}; airmass "
              f"{airmass[first]:.2f} at start, {airmass[last]:.2f} at end")
    if target.window is not None:
        reason += f"; window {target.window[0]:%H:%M}-{target.window[1]:%H:%M} UTC"
    return Block(target, first, last, model.time_at(first), model.time_at(last),
                 float(airmass[first]), float(airmass[last]), reason)


def replan(model: NightModel, previous: list[Block], targets: list[Target], now: datetime, *,
           budgets: dict[str, float] | None = None) -> tuple[Plan, list[LeftOut]]:
    """Re-plan from ``now``: keep executed, running and past blocks, schedule the rest again.

    Returns the new plan and the blocks of ``previous`` it displaced, each with the reason.
    """
    now_index = model.index_at(now)
    if now_index >= model.steps - 1:
        raise PlanningError(f"nothing is left of the night of {model.night_date} at "
                            f"{now:%Y-%m-%d %H:%M} UTC (it ended at {model.end:%H:%M} UTC)")
    kept = tuple(b for b in previous if b.status in KEPT_STATUSES or b.first < now_index)
    kept = tuple(replace(b, status="running") if b.status == "scheduled" and b.first < now_index
                 <= b.last else b for b in kept)
    kept_keys = {b.target.key for b in kept}
    plan = schedule(model, [t for t in targets if t.key not in kept_keys], now_index=now_index,
                    kept=kept, budgets=budgets)
    placed = {b.target.key for b in plan.blocks}
    reasons = {item.target.key: item for item in plan.left_out}
    too = [b.target.name for b in plan.blocks if b.target.too and b.target.key not in kept_keys]
    displaced = []
    for block in previous:
        if block.target.key in placed or block.target.key in kept_keys:
            continue
        item = reasons.get(block.target.key)
        why = item.reason if item else "no longer in the follow-up lists"
        if item and item.code in ("no_time", "share") and too:
            why = f"displaced by ToO {', '.join(too)}: {why}"
        displaced.append(LeftOut(block.target, why, item.code if item else "removed"))
    return plan, displaced
