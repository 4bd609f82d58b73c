"""The observation record: archived observations (from the raw frames' headers) become
executions of the plan's blocks, by OB name or by position and time; linked both ways."""

from __future__ import annotations

from datetime import timedelta

from astropy.time import Time

from soxsvo.observing.plans import link_archive_observations, obs_id, plan_night
from tests.observing.helpers import NIGHT, config, seed_sky


def _observation(conn, archive_obs_id: str, ob_name: str, ra: float, dec: float, start,
                 status: str = "completed") -> None:
    mjd = Time(start).mjd
    conn.execute(
        "INSERT INTO soxs.observation (obs_id, ob_id, ob_name, proposal_id, night, arm, "
        "target_name, ra, dec, mjd_start, mjd_end, exptime, airmass, seeing, status) "
        "VALUES (%s, 1, %s, '116.2AZ7.001', %s, 'BOTH', 'x', %s, %s, %s, %s, 600, 1.2, 0.9, "
        "%s)", (archive_obs_id, ob_name, NIGHT, ra, dec, mjd, mjd + 0.007, status))


def test_archived_observations_become_executions(db_conn) -> None:
    seed_sky(db_conn)
    stored = plan_night(db_conn, NIGHT, config(), actor="anna")
    science = [b for b in stored.plan.blocks if b.target.programme == "GTO"]
    by_position, by_name = science[0], science[1]
    db_conn.execute("INSERT INTO soxs.programme (proposal_id) VALUES ('116.2AZ7.001')")
    _observation(db_conn, "SOXS.2026-12-08T01:00:00", "OB_x", by_position.target.ra + 1e-4,
                 by_position.target.dec, by_position.start + timedelta(minutes=3))
    _observation(db_conn, "SOXS.2026-12-08T05:00:00", obs_id(NIGHT, by_name.target),
                 10.0, 10.0, by_name.start, status="aborted")
    _observation(db_conn, "SOXS.2026-12-08T06:00:00", "OB_other", 300.0, -80.0,
                 by_position.start)
    db_conn.commit()
    links = link_archive_observations(db_conn, NIGHT, actor="night-log")
    assert sorted(links) == sorted([
        (obs_id(NIGHT, by_position.target), "SOXS.2026-12-08T01:00:00"),
        (obs_id(NIGHT, by_name.target), "SOXS.2026-12-08T05:00:00")])
    assert link_archive_observations(db_conn, NIGHT, actor="night-log") == []  # idempotent
    statuses = dict(db_conn.execute(
        "SELECT b.target_key, b.status FROM observing.block b JOIN observing.night n "
        "ON n.current_version = b.version AND n.night_date = b.night_date").fetchall())
    assert statuses[by_position.target.key] == "done"
    assert statuses[by_name.target.key] == "aborted"
    # Both ways: from the transient to the archive's observation and back.
    row = db_conn.execute(
        "SELECT x.archive_obs_id, t.name FROM observing.execution x "
        "JOIN marshall.transient t USING (transient_id) WHERE x.plan_obs_id = %s",
        (obs_id(NIGHT, by_position.target),)).fetchone()
    assert row == ("SOXS.2026-12-08T01:00:00", by_position.target.name)
