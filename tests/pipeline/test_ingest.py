"""``soxsvo ingest``: parallel registration, versions, release dates and every fault case."""

from __future__ import annotations

import errno
import shutil
from datetime import timedelta

import psycopg
import pytest
from click.testing import CliRunner
from test_ingest_support import assert_consistent, bad_products, sums, write_tiny

from soxsvo.archive import register
from soxsvo.archive.ingest import ingest_paths
from soxsvo.archive.register import ArchiveConfig
from soxsvo.cli import main as cli


@pytest.fixture
def config(settings):
    return ArchiveConfig.from_settings(settings)


def run(db_conninfo, paths, config, **kwargs):
    return ingest_paths(lambda: psycopg.connect(db_conninfo), paths, config, **kwargs)


def test_folder_in_parallel_then_again(tmp_path, db_conninfo, config):
    files = [write_tiny(tmp_path / "in", i) for i in range(12)]
    before = sums(files)
    summary = run(db_conninfo, [tmp_path / "in"], config, workers=2)
    assert summary.count("registered") == 12 and summary.exit_code == 0
    again = run(db_conninfo, [tmp_path / "in"], config, workers=2)
    assert again.count("already-registered") == 12 and again.exit_code == 0
    assert all("nothing changed" in o.line for o in again.outcomes)
    assert assert_consistent(db_conninfo, config.store) == 12
    assert sums(files) == before


def test_new_version_supersedes_old(tmp_path, db_conninfo, config):
    v1 = write_tiny(tmp_path, 1, name="v1.fits", obid=777)
    v2 = write_tiny(tmp_path, 2, name="v2.fits", obid=777, mjd_obs=61000.10001)
    first, second = run(db_conninfo, [v1, v2], config, workers=1).outcomes
    assert second.registration.superseded == first.registration.publisher_did
    with psycopg.connect(db_conninfo) as conn:
        rows = dict(conn.execute(
            "SELECT obs_publisher_did, superseded FROM ivoa.obscore").fetchall())
        status = dict(conn.execute("SELECT publisher_did, status FROM soxs.product").fetchall())
        old_path = conn.execute("SELECT file_path FROM soxs.product WHERE publisher_did = %s",
                                (first.registration.publisher_did,)).fetchone()[0]
    assert rows == {first.registration.publisher_did: True,
                    second.registration.publisher_did: False}
    assert status[first.registration.publisher_did] == "obsolete"
    assert sums([old_path])[next(iter(sums([old_path])))] == sums([v1])[v1]  # still retrievable


def test_release_date_per_programme(tmp_path, db_conninfo, config):
    with psycopg.connect(db_conninfo) as conn:
        conn.execute("INSERT INTO soxs.programme (proposal_id, proprietary_months) "
                     "VALUES ('116.2OPN.001', 0)")
    a = write_tiny(tmp_path, 1, prog_id="116.2OPN.001")
    b = write_tiny(tmp_path, 2, prog_id="116.2UNK.001")
    run(db_conninfo, [a, b], config, workers=1)
    with psycopg.connect(db_conninfo) as conn:
        got = dict(conn.execute("SELECT proposal_id, obs_release_date - "
                                "to_timestamp(t_max * 86400 - 3506716800) AT TIME ZONE 'UTC' "
                                "FROM ivoa.obscore").fetchall())
        months = conn.execute("SELECT proprietary_months FROM soxs.programme "
                              "WHERE proposal_id = '116.2UNK.001'").fetchone()[0]
    assert abs(got["116.2OPN.001"]) < timedelta(seconds=1)
    assert months == config.proprietary_months == 12
    assert abs(got["116.2UNK.001"] - timedelta(days=30.44 * 12)) < timedelta(seconds=1)


def test_consortium_programmes_configurable(tmp_path, db_conninfo, settings):
    from dataclasses import replace

    config = replace(ArchiveConfig.from_settings(settings), consortium_programmes=("116.2AZ7.",),
                     consortium_months=6)
    a = write_tiny(tmp_path, 1, prog_id="116.2AZ7.003")
    b = write_tiny(tmp_path, 2, prog_id="116.2XYZ.001")
    run(db_conninfo, [a, b], config, workers=1)
    with psycopg.connect(db_conninfo) as conn:
        programmes = dict((r[0], r[1:]) for r in conn.execute(
            "SELECT proposal_id, consortium, proprietary_months FROM soxs.programme"))
        got = dict(conn.execute("SELECT proposal_id, obs_release_date - "
                                "to_timestamp(t_max * 86400 - 3506716800) AT TIME ZONE 'UTC' "
                                "FROM ivoa.obscore").fetchall())
    assert programmes == {"116.2AZ7.003": (True, 6), "116.2XYZ.001": (False, 12)}
    assert abs(got["116.2AZ7.003"] - timedelta(days=30.44 * 6)) < timedelta(seconds=1)


def test_invalid_products_rejected_with_validator_message(tmp_path, db_conninfo, config):
    bad = bad_products(tmp_path / "bad")
    before = sums(bad.values())
    summary = run(db_conninfo, list(bad.values()), config, workers=2)
    assert summary.exit_code == 2
    for outcome in summary.outcomes:
        assert outcome.status == "rejected", outcome.path
        assert "not a valid Phase 3 product" in outcome.line and "P3-" in outcome.line
        assert outcome.error.report["violations"]
    assert assert_consistent(db_conninfo, config.store) == 0
    assert sums(bad.values()) == before


def test_unknown_provenance_accepted_and_flagged(tmp_path, db_conninfo, config):
    path = write_tiny(tmp_path, 1, prov=["SOXS.2026-01-11T02:24:00.000.fits"])
    assert run(db_conninfo, [path], config, workers=1).exit_code == 0
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT raw_arcfile, known FROM soxs.provenance").fetchall() == [
            ("SOXS.2026-01-11T02:24:00.000.fits", False)]


def test_missing_and_disappearing_files(tmp_path, db_conninfo, config, monkeypatch):
    keep = write_tiny(tmp_path, 1)
    gone = write_tiny(tmp_path, 2)
    real = register.copy_into_store

    def vanish(source, target, sha256, journal, *reserve):
        if source == gone:
            gone.unlink()  # after validation, before the copy: the file disappears mid-ingest
        return real(source, target, sha256, journal, *reserve)

    monkeypatch.setattr(register, "copy_into_store", vanish)
    summary = run(db_conninfo, [tmp_path / "never.fits", gone, keep], config, workers=1)
    lines = [o.line for o in summary.outcomes]
    assert "no such file" in lines[0] and "disappeared" in lines[1]
    assert summary.outcomes[2].status == "registered" and summary.exit_code == 2
    assert assert_consistent(db_conninfo, config.store) == 1


def test_full_disk_when_copying(tmp_path, db_conninfo, config, monkeypatch):
    # Mounting a tiny tmpfs needs privileges CI may not have: the copy raises ENOSPC instead.
    path = write_tiny(tmp_path, 1)
    before = sums([path])

    def full(src, dst):
        open(dst, "wb").write(b"partial")  # noqa: SIM115 - a half-written copy is the point
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    outcome = run(db_conninfo, [path], config, workers=1).outcomes[0]
    assert outcome.status == "rejected" and "No space left on device" in outcome.line
    assert outcome.error.retryable
    assert assert_consistent(db_conninfo, config.store) == 0
    assert sums([path]) == before


def test_database_lost_mid_transaction(tmp_path, db_conninfo, config, monkeypatch):
    first, second = write_tiny(tmp_path, 1), write_tiny(tmp_path, 2)
    real = register._insert_rows
    calls = []

    def kill_backend(conn, prepared, statement, params):
        if not calls:
            calls.append(prepared)
            with psycopg.connect(db_conninfo, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        return real(conn, prepared, statement, params)

    monkeypatch.setattr(register, "_insert_rows", kill_backend)
    summary = run(db_conninfo, [first, second], config, workers=1, batch_size=1)
    lost, after = summary.outcomes
    assert lost.status == "rejected" and "database connection lost" in lost.line
    assert after.status == "registered"  # reconnected for the next file
    assert assert_consistent(db_conninfo, config.store) == 1


def test_cli_lines_summary_and_exit_codes(tmp_path, settings, db_conninfo):
    good = [write_tiny(tmp_path / "in", i) for i in range(3)]
    env = {"SOXSVO_DATA_DIR": str(settings.data_path),
           "SOXSVO_DATABASE_URL": db_conninfo}
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--workers", "1", str(tmp_path / "in")], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("registered ivo://") == 3
    assert "3 files: 3 registered, 0 already registered, 0 rejected" in result.output
    (tmp_path / "in" / "junk.fits").write_text("junk")
    result = runner.invoke(cli, ["ingest", "--workers", "1", *map(str, good),
                                 str(tmp_path / "in" / "junk.fits")], env=env)
    assert result.exit_code == 2
    assert "0 registered, 3 already registered, 1 rejected" in result.output


def test_archive_names_that_are_not_timestamps_do_not_stop_registration(
        db_conn, spectrum_file, config):
    # A product registered under another naming scheme (imported, bulk-loaded) sorts after
    # every ADP.<timestamp> name; the next name must still come from the clock.
    db_conn.execute(
        "INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, "
        "sha256, md5, file_size) VALUES ('ivo://x/soxs?imported', 'ADP.imported.0000001', "
        "'SCIENCE.SPECTRUM', 'x.fits', 'x.fits', 'a', 'b', 1)")
    db_conn.commit()
    registration = register.register_product(db_conn, spectrum_file, config)
    assert registration.dp_id.startswith("ADP.20")
    stored = db_conn.execute("SELECT count(*) FROM ivoa.obscore WHERE dp_id = %s",
                             (registration.dp_id,)).fetchone()[0]
    assert stored == 1


def test_full_disk_reserve_refuses_and_keeps_the_file(tmp_path, settings, db_conninfo):
    files = [write_tiny(tmp_path / "in", i) for i in range(2)]
    before = sums(files)
    env = {"SOXSVO_DATA_DIR": str(settings.data_path), "SOXSVO_DATABASE_URL": db_conninfo,
           # More than any disk has: every product would eat into the reserve.
           "SOXSVO_ARCHIVE_MIN_FREE_BYTES": str(10**18)}
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--workers", "1", str(tmp_path / "in")], env=env)
    assert result.exit_code == 2, result.output
    assert "min_free_bytes" in result.output and "0 registered" in result.output
    assert sums(files) == before  # the files are where they were, untouched
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM soxs.product").fetchone()[0] == 0
    env["SOXSVO_ARCHIVE_MIN_FREE_BYTES"] = "0"
    result = runner.invoke(cli, ["ingest", "--workers", "1", str(tmp_path / "in")], env=env)
    assert result.exit_code == 0 and "2 registered" in result.output
