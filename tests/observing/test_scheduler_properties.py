"""Properties of the scheduler on random target lists (hypothesis), against the night model.

No overlap; every constraint met at every grid step of every block (its start and end
included), recomputed from astropy-independent tracks; a lower priority never takes the place
of a higher one that fits; a re-plan never moves the past; the GTO/ESO shares hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soxsvo.observing.night import tracks
from soxsvo.observing.scheduler import (
    CALIBRATION,
    ESO,
    GTO,
    Target,
    block_steps,
    observable,
    replan,
    schedule,
)
from tests.observing.helpers import night

_targets = st.lists(
    st.builds(
        lambda n, ra, dec, prio, minutes, eso, airmass: (n, ra, dec, prio, minutes, eso,
                                                         airmass),
        st.integers(0, 10**6), st.floats(0, 359.9), st.floats(-85, 30), st.integers(1, 4),
        st.integers(5, 90), st.booleans(), st.sampled_from([1.3, 1.6, 2.0, 3.0])),
    min_size=1, max_size=40, unique_by=lambda t: t[0])
_bounded = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _make(raw) -> list[Target]:
    return [Target(key=f"t{n}", name=f"T{n}", ra=ra, dec=dec, programme=ESO if eso else GTO,
                   priority=prio, exposure=minutes * 60.0, source="test",
                   max_airmass=airmass)
            for n, ra, dec, prio, minutes, eso, airmass in raw]


def _check_blocks(model, plan) -> None:
    blocks = sorted(plan.blocks, key=lambda b: b.first)
    for a, b in zip(blocks, blocks[1:], strict=False):
        assert a.last <= b.first, f"{a.target.name} overlaps {b.target.name}"
    targets = [b.target for b in blocks]
    if not targets:
        return
    ok = observable(model, targets, tracks(model, np.array([t.ra for t in targets]),
                                           np.array([t.dec for t in targets])))
    for n, block in enumerate(blocks):
        assert ok[n, block.first:block.last + 1].all(), f"{block.target.name} not observable"
        assert block.last - block.first == block_steps(block.target, model.config)
        assert block.start == model.time_at(block.first)


@_bounded
@given(_targets)
def test_blocks_never_overlap_and_meet_every_constraint(raw) -> None:
    model = night()
    plan = schedule(model, _make(raw))
    _check_blocks(model, plan)
    assert len(plan.blocks) + len(plan.left_out) == len(raw)


@_bounded
@given(_targets)
def test_a_lower_priority_never_takes_the_place_of_a_higher_one(raw) -> None:
    model = night()
    plan = schedule(model, _make(raw))
    for item in plan.left_out:
        if item.code != "no_time":
            continue
        # Without the blocks of lower priority, the left-out target still finds no room.
        higher = [b for b in plan.blocks if b.target.priority <= item.target.priority]
        alone = schedule(model, [item.target], kept=tuple(higher))
        assert item.target.key not in {b.target.key for b in alone.blocks
                                       if b not in higher}, item


@_bounded
@given(_targets)
def test_shares_are_respected(raw) -> None:
    model = night()
    plan = schedule(model, _make(raw))
    for programme in (GTO, ESO):
        assert plan.hours(programme) <= plan.budgets[programme] + 1e-9
    assert plan.hours(CALIBRATION) == 0


@_bounded
@given(_targets, st.floats(0.1, 0.9), st.integers(0, 3))
def test_replan_never_moves_the_past_and_places_the_too_first(raw, fraction, done) -> None:
    model = night()
    first = schedule(model, _make(raw))
    blocks = [replace(b, status="done") if i < done else b for i, b in enumerate(first.blocks)]
    now = model.start + timedelta(hours=model.hours * fraction)
    too = Target(key="too", name="AT2026gw", ra=60.0, dec=-30.0, programme=GTO, priority=0,
                 exposure=1200.0, source="ToO", too=True)
    plan, displaced = replan(model, blocks, [too, *_make(raw)], now)
    _check_blocks(model, plan)
    now_index = model.index_at(now)
    for block in blocks:
        if block.first < now_index or block.status == "done":
            assert block.target.key in {b.target.key for b in plan.blocks if b.first ==
                                        block.first and b.last == block.last}
    for block in plan.blocks:
        if block.target.key not in {b.target.key for b in blocks}:
            assert block.first >= now_index, "a new block starts in the past"
    kept = {b.target.key for b in plan.blocks}
    assert {d.target.key for d in displaced}.isdisjoint(kept)
    assert all(d.reason for d in displaced)
