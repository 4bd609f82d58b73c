"""Plans in the database: versions with who/why, re-plan on a ToO, the observation record,
and what ObsLocTAP shows to anonymous clients and to consortium members."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from soxsvo.access import Identity, reading
from soxsvo.errors import ConflictError, NotFoundError
from soxsvo.observing.config import PlanningError
from soxsvo.observing.plans import night_summary, plan_night, record_execution, replan_night
from tests.observing.helpers import NIGHT, add_transient, config, night, seed_sky

MEMBER = Identity(user="anna", roles=frozenset({"consortium"}))


def _obsplan(conn: psycopg.Connection, identity: Identity) -> list[tuple]:
    conn.commit()  # reading() must open its own transaction (its role ends with it)
    with reading(conn, identity):
        return conn.execute("SELECT target_name, execution_status, priority, category "
                            "FROM ivoa.obsplan ORDER BY t_min").fetchall()


def test_plan_holds_standards_targets_and_reasons(db_conn) -> None:
    seed_sky(db_conn)
    stored = plan_night(db_conn, NIGHT, config(), actor="anna")
    summary = night_summary(db_conn, NIGHT)
    names = [b["target"] for b in summary["blocks"]]
    standards = [b for b in summary["blocks"] if b["programme"] == "calibration"]
    assert {b["target"] for b in standards} == {"LTT3218", "Hip036392"}
    assert all("(standard star); first thing it is observable" in b["reason"]
               for b in standards)
    assert {"SN2026f0", "ESO-0"} <= set(names)
    assert all("priority" in b["reason"] and "airmass" in b["reason"]
               for b in summary["blocks"])
    assert summary["version"] == stored.version == 1
    assert (summary["actor"], summary["reason"]) == ("anna", "afternoon plan")


def test_never_observable_target_is_left_out_with_its_reason(db_conn) -> None:
    seed_sky(db_conn)
    add_transient(db_conn, "SN2026north", 200.0, 60.0)  # never rises at La Silla
    plan_night(db_conn, NIGHT, config(), actor="anna")
    left = {item["target"]: item for item in night_summary(db_conn, NIGHT)["left_out"]}
    assert left["SN2026north"]["code"] == "pointing"
    assert "declination +60.0" in left["SN2026north"]["reason"]


def test_empty_follow_up_list_is_an_error_not_an_empty_plan(db_conn) -> None:
    with pytest.raises(PlanningError, match="nothing to plan"):
        plan_night(db_conn, NIGHT, config(), actor="anna")


def test_too_displaces_lower_priority_and_every_version_is_kept(db_conn) -> None:
    seed_sky(db_conn)
    # More bright priority-3 targets than the consortium's share holds: something must give way.
    for i in range(30):
        add_transient(db_conn, f"SN2026low{i}", 5.0 + i * 5, -35.0, mag=16.0, priority=3)
    first = plan_night(db_conn, NIGHT, config(), actor="anna")
    add_transient(db_conn, "AT2026kn", 75.0, -28.0, mag=19.0, list_name="inbox", priority=4)
    now = night().start + timedelta(hours=2)
    second = replan_night(db_conn, NIGHT, config(), actor="bot", reason="LVK S261208a",
                          now=now, too=("AT2026kn",))
    assert second.version == first.version + 1
    too = [b for b in second.plan.blocks if b.target.name == "AT2026kn"]
    assert too and too[0].start >= now and "ToO" in too[0].reason
    assert second.displaced and all("displaced by ToO AT2026kn" in d.reason
                                    for d in second.displaced if d.code == "no_time")
    assert all(d.target.priority >= 1 for d in second.displaced)
    earlier = [b for b in first.plan.blocks if b.first < night().index_at(now)]
    kept = {(b.target.key, b.start) for b in second.plan.blocks}
    assert {(b.target.key, b.start) for b in earlier} <= kept  # the past did not move
    versions = db_conn.execute("SELECT version, actor, reason FROM observing.plan_version "
                               "ORDER BY version").fetchall()
    assert versions == [(1, "anna", "afternoon plan"), (2, "bot", "LVK S261208a")]
    # ObsLocTAP: members see the displaced blocks as Unscheduled; anonymous clients do not.
    unscheduled = {r[0] for r in _obsplan(db_conn, MEMBER) if r[1] == "Unscheduled"}
    assert unscheduled == {d.target.name for d in second.displaced}
    assert not [r for r in _obsplan(db_conn, Identity()) if r[1] == "Unscheduled"]


def test_replan_after_the_night_and_unknown_too_are_refused(db_conn) -> None:
    seed_sky(db_conn)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    with pytest.raises(PlanningError, match="nothing is left of the night"):
        replan_night(db_conn, NIGHT, config(), actor="bot", reason="late",
                     now=night().end + timedelta(minutes=5))
    with pytest.raises(NotFoundError, match="S999"):
        replan_night(db_conn, NIGHT, config(), actor="bot", reason="x", too=("S999",),
                     now=night().start)


def test_too_never_observable_tonight_is_refused(db_conn) -> None:
    seed_sky(db_conn)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    add_transient(db_conn, "AT2026arctic", 10.0, 75.0, list_name="inbox")
    with pytest.raises(PlanningError, match="AT2026arctic cannot be observed tonight"):
        replan_night(db_conn, NIGHT, config(), actor="bot", reason="x",
                     too=("AT2026arctic",), now=night().start)


def test_executions_are_recorded_kept_and_published(db_conn) -> None:
    seed_sky(db_conn)
    stored = plan_night(db_conn, NIGHT, config(), actor="anna")
    science = [b for b in stored.plan.blocks if b.target.programme == "GTO"][0]
    obs_id = f"SOXS-{NIGHT:%Y%m%d}-{science.target.key}"
    record_execution(db_conn, obs_id, status="done", start=science.start, end=science.end,
                     actor="night-log", seeing=0.8, airmass=science.airmass_start)
    with pytest.raises(ConflictError, match="re-plan"):
        plan_night(db_conn, NIGHT, config(), actor="anna")
    again = replan_night(db_conn, NIGHT, config(), actor="anna", reason="clouds gone",
                         now=night().start)
    assert any(b.target.key == science.target.key and b.status == "done"
               and b.start == science.start for b in again.plan.blocks)
    anonymous = _obsplan(db_conn, Identity())
    members = _obsplan(db_conn, MEMBER)
    # Anonymous: the standards (calibrations) and what was performed, nothing planned.
    assert {row[0] for row in anonymous} == {"LTT3218", "Hip036392", science.target.name}
    assert (science.target.name, "Performed") in {(r[0], r[1]) for r in anonymous}
    assert len(members) == len(again.plan.blocks)
    assert {r[1] for r in members} == {"Scheduled", "Performed"}
    assert {r[2] for r in members} <= {0, 1, 2} and {r[3] for r in members} <= {"Other",
                                                                                 "Window"}


def test_bright_targets_left_out_for_time_are_backups(db_conn) -> None:
    seed_sky(db_conn)
    for i in range(30):
        add_transient(db_conn, f"SN2026bright{i}", 5.0 + i * 5, -35.0, mag=15.0, priority=3)
    add_transient(db_conn, "SN2026faint", 60.0, -35.0, mag=21.5, priority=3)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    left = {item["target"]: item for item in night_summary(db_conn, NIGHT)["left_out"]}
    bright = [item for name, item in left.items() if name.startswith("SN2026bright")]
    assert bright and all(item["backup"] and "back-up for poor seeing" in item["reason"]
                          for item in bright if item["code"] in ("no_time", "share"))
    assert left["SN2026faint"]["backup"] is False


def test_replan_for_a_too_needs_no_other_target(db_conn) -> None:
    seed_sky(db_conn)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    db_conn.execute("UPDATE marshall.workflow SET list = 'archive'")
    db_conn.execute("UPDATE observing.eso_target SET active = false")
    add_transient(db_conn, "AT2026solo", 60.0, -30.0, list_name="inbox", priority=4)
    stored = replan_night(db_conn, NIGHT, config(), actor="bot", reason="GRB",
                          now=night().start, too=("AT2026solo",))
    science = [b.target.name for b in stored.plan.blocks if b.target.programme != "calibration"]
    assert science == ["AT2026solo"]
    assert {d.code for d in stored.displaced} == {"removed"}  # the archived targets


def test_an_earlier_night_over_its_share_lowers_tonights_gto_time(db_conn) -> None:
    seed_sky(db_conn)
    for i in range(30):
        add_transient(db_conn, f"SN2026many{i}", 5.0 + i * 5, -35.0, mag=16.0, priority=3)
    first = plan_night(db_conn, NIGHT, config(), actor="anna")
    gto = first.plan.hours("GTO")
    assert gto <= first.plan.budgets["GTO"] + 1e-9
    # The night before took 2 h more GTO time than its share (an urgent campaign).
    before = NIGHT - timedelta(days=1)
    db_conn.execute("INSERT INTO observing.night VALUES (%s, 1, %s, %s)",
                    (before, night().start - timedelta(days=1),
                     night().start - timedelta(days=1) + timedelta(hours=4)))
    db_conn.execute("INSERT INTO observing.plan_version (night_date, version, actor, reason) "
                    "VALUES (%s, 1, 'x', 'x')", (before,))
    db_conn.execute(
        "INSERT INTO observing.block (night_date, version, obs_id, target_key, target_name, ra, "
        "dec, programme, priority, source, first_step, last_step, start_at, end_at, exposure_s,"
        " max_airmass, airmass_start, airmass_end, reason) VALUES (%s, 1, 'o', 'k', 'T', 1, 1, "
        "'GTO', 1, 's', 0, 1, %s, %s, 1, 2, 1, 1, 'r')",
        (before, night().start - timedelta(days=1),
         night().start - timedelta(days=1) + timedelta(hours=4)))
    db_conn.commit()
    second = plan_night(db_conn, NIGHT, config(), actor="anna")
    # 4 h of GTO in a 4 h night whose share was 2 h: tonight's GTO budget is 2 h lower.
    assert second.plan.budgets["GTO"] == pytest.approx(first.plan.budgets["GTO"] - 2.0)
    assert second.plan.hours("GTO") <= second.plan.budgets["GTO"] + 1e-9 < gto
    assert any(item.code == "share" for item in second.plan.left_out)
