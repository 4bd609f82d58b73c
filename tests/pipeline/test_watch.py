"""``soxsvo watch``: complete files only, bursts, restarts and rejected files with reasons."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from test_ingest_support import assert_consistent, tiny_spectrum, write_tiny

from soxsvo.archive.register import ArchiveConfig
from soxsvo.archive.watch import Watcher
from soxsvo.phase3.spectrum import to_hdulist, write_phase3_spectrum


@pytest.fixture
def config(settings):
    return ArchiveConfig.from_settings(settings)


def watcher(folder, config, db_conninfo, **kwargs):
    kwargs.setdefault("settle", 0.4)
    kwargs.setdefault("workers", 2)
    lines = []
    w = Watcher(folder, config, lambda: psycopg.connect(db_conninfo), report=lines.append,
                **kwargs)
    w.lines = lines
    return w


def count_rows(db_conninfo) -> int:
    with psycopg.connect(db_conninfo) as conn:
        return conn.execute("SELECT count(*) FROM ivoa.obscore").fetchone()[0]


def test_slow_writer_is_never_registered_half_written(tmp_path, config, db_conninfo):
    incoming = tmp_path / "in"
    blob_path = write_tiny(tmp_path / "src", 1)
    blob = blob_path.read_bytes()
    w = watcher(incoming, config, db_conninfo, settle=0.6).start()
    try:
        chunk = len(blob) // 6 + 1
        target = incoming / "slow.fits"
        # Two styles: one open handle flushed chunk by chunk, and reopen-append-close per chunk
        # (each close is a close-after-write event: the file must still not be taken early).
        with target.open("wb") as handle:
            for start in range(0, len(blob), chunk):
                handle.write(blob[start:start + chunk])
                handle.flush()
                time.sleep(0.15)
        other = incoming / "slow_reopen.fits"
        blob2 = write_tiny(tmp_path / "src", 2).read_bytes()
        for start in range(0, len(blob2), chunk):
            with other.open("ab") as handle:
                handle.write(blob2[start:start + chunk])
            time.sleep(0.15)
        assert w.wait_idle(20)
    finally:
        w.stop()
    done = sorted(p.name for p in (incoming / "done").iterdir())
    assert done == ["slow.fits", "slow_reopen.fits"], w.lines
    assert not list((incoming / "rejected").iterdir()), w.lines
    assert w.counts.rejected == 0 and count_rows(db_conninfo) == 2


def test_burst_of_200_with_restart_in_the_middle(tmp_path, config, db_conninfo):
    incoming = tmp_path / "in"
    staging = tmp_path / "staging"
    paths = [write_tiny(staging, i) for i in range(200)]
    w = watcher(incoming, config, db_conninfo, settle=0.2).start()
    for path in paths[:100]:
        path.rename(incoming / path.name)  # atomic arrival, as a pipeline writing then renaming
    deadline = time.monotonic() + 20
    while w.counts.registered < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    # Stop mid-burst: some registered, these 20 (and any of the first 100 not yet done)
    # pending. A watcher may register all 100 between two looks of this loop (a burst of
    # tiny files is checked in well under a second), so the stop does not rely on timing.
    for path in paths[100:120]:
        path.rename(incoming / path.name)
    w.stop()
    first = w.counts.registered
    assert 0 < first < 120
    for path in paths[120:]:
        path.rename(incoming / path.name)  # arrive while the watcher is down
    w2 = watcher(incoming, config, db_conninfo, settle=0.2).start()
    try:
        assert w2.wait_idle(60)
    finally:
        w2.stop()
    done = sorted(p.name for p in (incoming / "done").iterdir())
    assert len(done) == 200 and not list(incoming.glob("*.fits"))
    # Nothing registered twice: a file registered before the stop but not yet moved is
    # recognised by its checksum.
    assert w2.counts.registered + first + w2.counts.already >= 200
    assert count_rows(db_conninfo) == 200
    assert assert_consistent(db_conninfo, config.store) == 200


def test_rejected_file_with_reasons_and_restart_not_redone(tmp_path, config, db_conninfo):
    incoming = tmp_path / "in"
    incoming.mkdir()
    bad = tiny_spectrum(5)
    hdul = to_hdulist(bad)
    hdul[0].header["PRODCATG"] = "SCIENCE.CUBE"
    hdul.writeto(incoming / "bad.fits", checksum=True)
    write_phase3_spectrum(tiny_spectrum(6), incoming / "good.fits")
    w = watcher(incoming, config, db_conninfo).start()
    try:
        assert w.wait_idle(20)
    finally:
        w.stop()
    rejected = incoming / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == [
        "bad.fits", "bad.fits.reason.json", "bad.fits.reason.txt"]
    text = (rejected / "bad.fits.reason.txt").read_text()
    record = json.loads((rejected / "bad.fits.reason.json").read_text())
    assert "PRODCATG" in text and record["report"]["violations"]
    assert record["message"].strip() == text.strip()
    # Restart with the registered file dropped in again: recognised, not registered twice.
    (incoming / "done" / "good.fits").rename(incoming / "good.fits")
    w = watcher(incoming, config, db_conninfo).start()
    try:
        assert w.wait_idle(20)
    finally:
        w.stop()
    assert w.counts.already == 1 and w.counts.registered == 0
    assert count_rows(db_conninfo) == 1


def test_database_away_keeps_file_for_retry(tmp_path, config, db_conninfo, monkeypatch):
    incoming = tmp_path / "in"
    write_tiny(incoming, 1)
    calls = []
    lines = []

    def no_database():
        # Away at start (the store sweep) and at the first registration attempt.
        calls.append(1)
        if len(calls) <= 2:
            raise psycopg.OperationalError("connection refused")
        return psycopg.connect(db_conninfo)

    monkeypatch.setattr("soxsvo.archive.watch._RETRY_AFTER", 0.2)
    w = Watcher(incoming, config, no_database, settle=0.2, workers=0, report=lines.append)
    w.start()
    try:
        assert w.wait_idle(20)
    finally:
        w.stop()
    assert any("store not swept, database unreachable" in line for line in lines)
    assert w.counts.retried == 1 and w.counts.registered == 1
    assert not list((incoming / "rejected").iterdir())
