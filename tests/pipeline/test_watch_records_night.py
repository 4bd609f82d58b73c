"""``soxsvo watch`` records the night: a registered product marks its planned block done."""

from __future__ import annotations

import functools
from datetime import timedelta

import psycopg
from astropy.time import Time
from test_ingest_support import write_tiny

from soxsvo.archive.register import ArchiveConfig
from soxsvo.archive.watch import Watcher
from soxsvo.observing.plans import obs_id, plan_night, record_registered
from tests.observing.helpers import NIGHT, config, seed_sky


def _block_status(conn: psycopg.Connection, plan_obs_id: str) -> str:
    return conn.execute(
        "SELECT b.status FROM observing.block b JOIN observing.night n "
        "ON n.night_date = b.night_date AND n.current_version = b.version "
        "WHERE b.obs_id = %s", (plan_obs_id,)).fetchone()[0]


def test_watched_product_marks_its_block_done(tmp_path, settings, db_conn,
                                              db_conninfo) -> None:
    seed_sky(db_conn)
    stored = plan_night(db_conn, NIGHT, config(), actor="anna")
    db_conn.commit()
    block = next(b for b in stored.plan.blocks if b.target.programme == "GTO")
    planned = obs_id(NIGHT, block.target)
    assert _block_status(db_conn, planned) != "done"
    db_conn.rollback()
    start = Time(block.start + timedelta(minutes=3)).mjd
    folder = tmp_path / "incoming"
    write_tiny(folder, 0, ra=block.target.ra, dec=block.target.dec, mjd_obs=start,
               mjd_end=start + 0.025)
    lines: list[str] = []
    watcher = Watcher(folder, ArchiveConfig.from_settings(settings),
                      lambda: psycopg.connect(db_conninfo), settle=0.2, workers=1,
                      report=lines.append,
                      after_commit=functools.partial(record_registered, actor="soxsvo watch"))
    watcher.start()
    try:
        assert watcher.wait_idle(60), lines
    finally:
        watcher.stop()
    assert watcher.counts.registered == 1, lines
    assert _block_status(db_conn, planned) == "done", lines
    recorded_by = db_conn.execute("SELECT recorded_by FROM observing.execution "
                                  "WHERE plan_obs_id = %s", (planned,)).fetchone()[0]
    assert recorded_by == "soxsvo watch"
