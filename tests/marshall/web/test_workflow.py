"""Workflow actions and the automatic rules, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from soxsvo.access import Identity
from soxsvo.config import load_settings
from soxsvo.marshall import workflow
from soxsvo.marshall.ingest.current_mag import update_current_magnitudes
from soxsvo.marshall.lists import ConfigurationError, WorkflowConfig, parse_moves
from soxsvo.marshall.rules import apply_rules, mjd_of
from soxsvo.marshall.workflow import WorkflowError

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MEMBER = Identity("anna", frozenset({"consortium"}))


@pytest.fixture
def config(tmp_path) -> WorkflowConfig:
    return WorkflowConfig.from_settings(load_settings({"SOXSVO_DATA_DIR": str(tmp_path)}))


def _transient(conn, name: str, *, mag: float | None, discovered_days_ago: float = 60) -> int:
    tid = conn.execute(
        "INSERT INTO marshall.transient (name, ra, dec, discovery_mjd, current_mag) "
        "VALUES (%s, 10, -20, %s, %s) RETURNING transient_id",
        (name, mjd_of(NOW) - discovered_days_ago, mag)).fetchone()[0]
    conn.commit()
    return tid


def _detect(conn, tid: int, mag: float, days_ago: float, *, limit: bool = False) -> None:
    conn.execute(
        "INSERT INTO marshall.photometry (transient_id, survey, band, mjd, flux_ujy, "
        "upper_limit, orig_value, orig_unit, source_id) VALUES (%s, 'ZTF', 'ztf-r', %s, %s, "
        "%s, %s, 'mag(AB)', %s)",
        (tid, mjd_of(NOW) - days_ago, 10 ** ((23.9 - mag) / 2.5), limit, mag,
         f"{tid}-{days_ago}-{limit}"))
    update_current_magnitudes(conn, [tid])  # as ingestion does after adding photometry
    conn.commit()


def _state(conn, tid):
    return conn.execute("SELECT list, priority, snoozed_until, reference_mag, resurrections "
                        "FROM marshall.workflow WHERE transient_id = %s", (tid,)).fetchone()


def _actions(conn, tid):
    return [r[0] for r in conn.execute(
        "SELECT action FROM marshall.history WHERE transient_id = %s ORDER BY history_id",
        (tid,))]


def test_new_transients_land_in_the_inbox(db_conn):
    tid = _transient(db_conn, "AT 2026new", mag=18.0)
    assert _state(db_conn, tid)[:2] == ("inbox", 3)


def test_moves_follow_configuration_and_are_recorded(db_conn, config):
    tid = _transient(db_conn, "AT 2026mov", mag=18.0)
    assert workflow.move(db_conn, config, tid, "review", "anna") == "inbox"
    workflow.move(db_conn, config, tid, "followup", "ben")
    with pytest.raises(WorkflowError) as refused:
        workflow.move(db_conn, config, tid, "inbox", "ben")   # not in followup's moves
    assert refused.value.status == 409
    assert _state(db_conn, tid)[0] == "followup"
    rows = db_conn.execute("SELECT actor, action, detail FROM marshall.history "
                           "WHERE transient_id = %s ORDER BY history_id", (tid,)).fetchall()
    assert rows == [("anna", "move", {"from": "inbox", "to": "review"}),
                    ("ben", "move", {"from": "review", "to": "followup"})]


def test_unknown_transient_and_list_are_refused(db_conn, config):
    with pytest.raises(WorkflowError) as missing:
        workflow.move(db_conn, config, 999999, "review", "anna")
    assert missing.value.status == 404
    tid = _transient(db_conn, "AT 2026unk", mag=18.0)
    with pytest.raises(WorkflowError) as unknown:
        workflow.move(db_conn, config, tid, "limbo", "anna")
    assert unknown.value.status == 422


def test_priority_classification_and_comment(db_conn, config):
    tid = _transient(db_conn, "AT 2026cls", mag=18.0)
    assert workflow.prioritise(db_conn, tid, 1, "anna") == 3
    with pytest.raises(WorkflowError):
        workflow.prioritise(db_conn, tid, 5, "anna")
    workflow.classify(db_conn, config, tid, type="SN Ia", redshift=0.031, phase_days=-3.5,
                      actor="anna", identity=MEMBER)
    with pytest.raises(WorkflowError):
        workflow.classify(db_conn, config, tid, type="SN Zz", actor="anna", identity=MEMBER)
    with pytest.raises(WorkflowError):
        workflow.classify(db_conn, config, tid, type="SN II", spectrum_dp_id="ADP.nope",
                          actor="anna", identity=MEMBER)
    workflow.comment(db_conn, tid, "@ben @carla.d please look; mail x@y.org", "anna")
    # The consortium's classification is its own (marshall.workflow), not public.
    assert _classifications(db_conn, tid) == (("SN Ia", 0.031), (None, None))
    assert db_conn.execute("SELECT mentions FROM marshall.comment WHERE transient_id = %s",
                           (tid,)).fetchone()[0] == ["ben", "carla.d"]
    assert _actions(db_conn, tid) == ["prioritise", "classify", "comment"]


def _classifications(conn, tid: int) -> tuple[tuple, tuple]:
    """(consortium type, redshift) and (public type, redshift) of a transient."""
    row = conn.execute(
        "SELECT w.consortium_type, w.consortium_redshift, t.classification, t.redshift "
        "FROM marshall.transient t JOIN marshall.workflow w USING (transient_id) "
        "WHERE transient_id = %s", (tid,)).fetchone()
    return row[:2], row[2:]


def test_a_classification_is_public_once_reported_to_tns(db_conn, config):
    tid = _transient(db_conn, "AT 2026tns", mag=18.0)
    db_conn.execute("UPDATE marshall.transient SET classification = 'SN', redshift = 0.05 "
                    "WHERE transient_id = %s", (tid,))        # as a TNS report said
    db_conn.commit()
    first = workflow.classify(db_conn, config, tid, type="SN Ia", redshift=0.031,
                              actor="anna", identity=MEMBER)
    second = workflow.classify(db_conn, config, tid, type="SN Ia-91T", actor="anna",
                               identity=MEMBER)
    assert _classifications(db_conn, tid) == (("SN Ia-91T", 0.031), ("SN", 0.05))
    workflow.report_to_tns(db_conn, tid, first, "anna", at=NOW)
    assert _classifications(db_conn, tid) == (("SN Ia-91T", 0.031), ("SN Ia", 0.031))
    workflow.report_to_tns(db_conn, tid, second, "anna", at=NOW + timedelta(hours=1))
    # The newest reported classification is the public one; a redshift stays until one
    # replaces it.
    assert _classifications(db_conn, tid) == (("SN Ia-91T", 0.031), ("SN Ia-91T", 0.031))
    with pytest.raises(WorkflowError) as again:
        workflow.report_to_tns(db_conn, tid, first, "anna")
    assert again.value.status == 409
    with pytest.raises(WorkflowError) as elsewhere:
        workflow.report_to_tns(db_conn, tid + 1000, first, "anna")
    assert elsewhere.value.status == 404
    db_conn.commit()          # the reads above opened a transaction: keep the reports
    with pytest.raises(psycopg.errors.RaiseException, match="cannot change"):
        db_conn.execute("UPDATE marshall.classification SET type = 'SN II' "
                        "WHERE classification_id = %s", (first,))
    db_conn.rollback()
    assert _actions(db_conn, tid) == ["classify", "classify", "report", "report"]


def test_snooze_wakes_up_to_the_list_it_came_from(db_conn, config):
    tid = _transient(db_conn, "AT 2026snz", mag=18.0)
    workflow.move(db_conn, config, tid, "review", "anna", now=NOW)
    workflow.move(db_conn, config, tid, "snoozed", "anna", now=NOW,
                  snooze_until=NOW + timedelta(days=3))
    assert apply_rules(db_conn, NOW + timedelta(days=2), config).woken == []
    assert _state(db_conn, tid)[0] == "snoozed"
    report = apply_rules(db_conn, NOW + timedelta(days=3, hours=1), config)
    assert report.woken == [tid]
    assert _state(db_conn, tid)[0] == "review"
    assert _actions(db_conn, tid)[-1] == "rule:unsnooze"


def test_resurrection_needs_the_configured_brightening_and_is_capped(db_conn, config):
    tid = _transient(db_conn, "AT 2026res", mag=19.0)
    workflow.move(db_conn, config, tid, "archive", "anna", now=NOW)
    assert _state(db_conn, tid)[3] == 19.0
    db_conn.execute("UPDATE marshall.transient SET current_mag = 18.7 WHERE transient_id = %s",
                    (tid,))
    db_conn.commit()
    assert apply_rules(db_conn, NOW, config).resurrected == []     # 0.3 < 0.5 mag
    db_conn.execute("UPDATE marshall.transient SET current_mag = 18.4 WHERE transient_id = %s",
                    (tid,))
    db_conn.commit()
    assert apply_rules(db_conn, NOW, config).resurrected == [tid]
    assert _state(db_conn, tid)[0] == "inbox" and _state(db_conn, tid)[4] == 1
    # Flickering: put away and brightened again, up to resurrect_max_times (3) times.
    for n in range(2, 5):
        workflow.move(db_conn, config, tid, "archive", "anna", now=NOW)
        db_conn.execute("UPDATE marshall.transient SET current_mag = current_mag - 1 "
                        "WHERE transient_id = %s", (tid,))
        db_conn.commit()
        moved = apply_rules(db_conn, NOW, config).resurrected
        assert moved == ([tid] if n <= 3 else [])
    assert _state(db_conn, tid)[0] == "archive"


def test_faded_objects_are_archived_after_the_configured_days(db_conn, config):
    faded = _transient(db_conn, "AT 2026fad", mag=21.3)
    _detect(db_conn, faded, 20.2, days_ago=40)
    _detect(db_conn, faded, 21.3, days_ago=5)
    bright = _transient(db_conn, "AT 2026brt", mag=21.0)
    _detect(db_conn, bright, 19.8, days_ago=10)       # brighter than 20.5 within 21 days
    young = _transient(db_conn, "AT 2026yng", mag=21.4, discovered_days_ago=3)
    followed = _transient(db_conn, "AT 2026fol", mag=21.5)
    db_conn.execute("UPDATE marshall.workflow SET list_since = %s", (NOW - timedelta(days=30),))
    db_conn.execute("UPDATE marshall.workflow SET list = 'followup' WHERE transient_id = %s",
                    (followed,))
    db_conn.commit()
    report = apply_rules(db_conn, NOW, config)
    assert report.archived == [faded]
    assert _state(db_conn, faded)[0] == "archive"
    assert {_state(db_conn, t)[0] for t in (bright, young)} == {"inbox"}
    assert _state(db_conn, followed)[0] == "followup"
    assert _actions(db_conn, faded) == ["rule:archive"]


def test_archiving_remembers_the_current_magnitude_of_the_photometry(db_conn, config):
    tid = _transient(db_conn, "AT 2026nom", mag=None)
    _detect(db_conn, tid, 19.0, days_ago=10)
    _detect(db_conn, tid, 18.25, days_ago=2)
    _detect(db_conn, tid, 17.0, days_ago=1, limit=True)     # limits are not detections
    workflow.move(db_conn, config, tid, "archive", "anna", now=NOW)
    assert _state(db_conn, tid)[3] == pytest.approx(18.25)


def test_bad_move_configuration_is_refused():
    with pytest.raises(ConfigurationError, match="limbo"):
        parse_moves(["inbox -> review limbo"])
    with pytest.raises(ConfigurationError):
        parse_moves(["inbox review"])


def test_rules_command(db_conn, db_conninfo, tmp_path):
    import subprocess
    import sys

    tid = _transient(db_conn, "AT 2026cli", mag=18.0)
    workflow.move(db_conn, WorkflowConfig.from_settings(load_settings(
        {"SOXSVO_DATA_DIR": str(tmp_path)})), tid, "snoozed", "anna", now=NOW,
        snooze_until=NOW + timedelta(days=1))
    env = {"SOXSVO_DATA_DIR": str(tmp_path), "SOXSVO_DATABASE_URL": db_conninfo,
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "soxsvo.cli", "marshall", "rules", "--now",
                           "2026-11-23T00:00:00"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 woken from snooze" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "soxsvo.cli", "marshall", "rules", "--now",
                          "yesterday"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--now" in bad.stderr
