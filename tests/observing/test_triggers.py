"""A GCN/LVK notice re-plans tonight (``auto``), proposes it (``propose``), or leaves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from astropy.time import Time

from soxsvo.observing.plans import plan_night
from soxsvo.observing.triggers import react_to_events
from tests.marshall.ingest import samples
from tests.marshall.web.conftest import CONSORTIUM, install_test_identity
from tests.observing.helpers import NIGHT, add_transient, config, night, seed_sky
from tests.support import app_over

TRIGGER_MJD = Time("2026-11-20T03:12:45").mjd


def _notice(app) -> dict:
    answer = app.test_client().post(
        "/api/alerts", data=samples.lvk_notice("S261120ab", ra=60.0, dec=-30.0),
        headers=CONSORTIUM)
    assert answer.status_code == 200
    return answer.get_json()


def test_a_bns_notice_proposes_the_replan_by_default(settings, db_conn) -> None:
    with app_over(settings) as app:
        install_test_identity(app)
        answer = _notice(app)
    (reaction,) = answer["night"]
    assert reaction["event"] == "S261120ab" and reaction["action"] == "proposed"
    assert "P(BNS)+P(NSBH) = 0.99" in reaction["detail"]
    assert "soxsvo night replan --too S261120ab" in reaction["detail"]


def test_auto_replans_tonight_with_the_candidates(settings, db_conn) -> None:
    seed_sky(db_conn)
    add_transient(db_conn, "AT2026kilo", 61.0, -29.0, list_name="inbox", priority=4,
                  discovery_mjd=TRIGGER_MJD + 1)
    with app_over(settings) as app:
        install_test_identity(app)
        _notice(app)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    auto = replace(config(), auto_replan="auto")
    now = night().start + timedelta(hours=1)
    (reaction,) = react_to_events(db_conn, ["S261120ab"], auto, now)
    assert reaction.action == "replanned" and reaction.night == NIGHT.isoformat()
    version = db_conn.execute("SELECT actor, reason FROM observing.plan_version "
                              "WHERE version = 2").fetchone()
    assert version[0] == "alert S261120ab" and "(automatic)" in version[1]
    too = db_conn.execute("SELECT target_name, start_at FROM observing.block WHERE version = 2 "
                          "AND too").fetchall()
    assert [t[0] for t in too] == ["AT2026kilo"] and too[0][1] >= now


def test_no_plan_tonight_is_said_not_raised(settings, db_conn) -> None:
    with app_over(settings) as app:
        install_test_identity(app)
        _notice(app)
    auto = replace(config(), auto_replan="auto")
    (reaction,) = react_to_events(db_conn, ["S261120ab"], auto, night().start)
    assert reaction.action == "none" and "has no plan yet" in reaction.detail


def test_a_binary_black_hole_or_auto_replan_off_changes_nothing(settings, db_conn) -> None:
    with app_over(settings) as app:
        install_test_identity(app)
        _notice(app)
    db_conn.execute("UPDATE marshall.event SET properties = jsonb_set(properties, "
                    "'{classification}', '{\"BBH\": 0.99, \"BNS\": 0.0, \"NSBH\": 0.0}')")
    db_conn.commit()
    auto = replace(config(), auto_replan="auto")
    assert react_to_events(db_conn, ["S261120ab"], auto, night().start) == []
    assert react_to_events(db_conn, ["S261120ab"], replace(config(), auto_replan="off"),
                           night().start) == []
