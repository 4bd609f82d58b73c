"""Faults of registration that need a real process boundary or a real limit: a process killed
between the store copy and the commit, a store that cannot take the file, the database lost in
the middle of a batch; and the associated files (ASSONi) of packaged products."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from soxspipe_format import write_soxspipe
from test_ingest_support import assert_consistent, sums, write_tiny

from soxsvo.archive import register
from soxsvo.archive.ingest import ingest_paths
from soxsvo.archive.register import ArchiveConfig
from soxsvo.archive.store import INFLIGHT, stored_path
from soxsvo.cli import main as cli
from soxsvo.pipeline.package import package_reduced

HERE = Path(__file__).parent


@pytest.fixture
def config(settings):
    return ArchiveConfig.from_settings(settings)


def run(db_conninfo, paths, config, **kwargs):
    return ingest_paths(lambda: psycopg.connect(db_conninfo), paths, config, **kwargs)


def cli_env(settings, db_conninfo) -> dict[str, str]:
    return {"SOXSVO_DATA_DIR": str(settings.data_path), "SOXSVO_DATABASE_URL": db_conninfo}


KILLED_MID_REGISTRATION = """\
import os, sys
from pathlib import Path
import psycopg
from soxsvo.archive import register
from soxsvo.archive.register import ArchiveConfig, register_product

def die(conn, prepared, statement, params):  # after the copy into the store, before the commit
    os._exit(9)

register._insert_rows = die
config = ArchiveConfig(store=Path(sys.argv[3]), base_url="http://x")
with psycopg.connect(sys.argv[1]) as conn:
    register_product(conn, Path(sys.argv[2]), config)
"""


def test_process_killed_between_copy_and_commit_leaves_no_orphan(tmp_path, config,
                                                                  db_conninfo, settings):
    product = write_tiny(tmp_path / "in", 1)
    script = tmp_path / "die.py"
    script.write_text(KILLED_MID_REGISTRATION)
    died = subprocess.run([sys.executable, str(script), db_conninfo, str(product),
                           str(config.store)], capture_output=True, text=True, check=False)
    assert died.returncode == 9, died.stderr
    orphan = next(p for p in config.store.rglob("*.fits"))
    assert list((config.store / INFLIGHT).glob("*.txt")), "the journal names the copy"
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM soxs.product").fetchone()[0] == 0
    # The next ingest removes the orphan before it starts, then registers the file anew.
    summary = run(db_conninfo, [product], config)
    assert summary.orphans_removed == 1 and summary.count("registered") == 1
    assert not list((config.store / INFLIGHT).glob("*.txt"))
    assert assert_consistent(db_conninfo, config.store) == 1
    assert orphan.exists()  # same bytes, same content address: the registered copy

    # A stray store file without a journal (e.g. copied by hand) is found by `db check`.
    stray = stored_path(config.store, "ab" * 32)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"SIMPLE")
    result = CliRunner().invoke(cli, ["db", "check"], env=cli_env(settings, db_conninfo))
    assert result.exit_code == 0, result.output
    assert f"removed {stray}" in result.output and "1 orphaned files removed" in result.output
    assert not stray.exists() and assert_consistent(db_conninfo, config.store) == 1


def test_db_check_reports_rows_whose_file_is_missing(tmp_path, config, db_conninfo, settings):
    run(db_conninfo, [write_tiny(tmp_path / "in", 1)], config)
    stored = next(config.store.rglob("*.fits"))
    stored.unlink()
    result = CliRunner().invoke(cli, ["db", "check"], env=cli_env(settings, db_conninfo))
    assert result.exit_code == 2
    assert f"missing file {stored}" in result.output
    assert "1 rows without their file" in result.output


FILE_SIZE_LIMITED = """\
import resource, sys
from soxsvo.cli import main
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: EFBIG
main()
"""


def test_store_that_cannot_take_the_file(tmp_path, config, db_conninfo, settings):
    """A real write limit (RLIMIT_FSIZE on the ingest process: writes past it fail with
    EFBIG, as a full disk fails with ENOSPC) instead of a mocked copy."""
    small = write_tiny(tmp_path / "in", 1, n=200)
    big = write_tiny(tmp_path / "in", 2, n=3500)
    before = sums([small, big])
    limit = (small.stat().st_size + big.stat().st_size) // 2
    script = tmp_path / "limited.py"
    script.write_text(FILE_SIZE_LIMITED)
    result = subprocess.run([sys.executable, str(script), str(limit), "ingest", "--workers",
                             "1", str(tmp_path / "in")], capture_output=True, text=True,
                            env=os.environ | cli_env(settings, db_conninfo), check=False)
    assert result.returncode == 2, result.stderr
    assert "File too large" in result.stderr and "cannot copy spec_0002.fits" in result.stderr
    assert "1 registered, 0 already registered, 1 rejected" in result.stdout
    assert assert_consistent(db_conninfo, config.store) == 1
    assert sums([small, big]) == before


def test_database_lost_in_the_middle_of_a_batch(tmp_path, config, db_conninfo, monkeypatch):
    files = [write_tiny(tmp_path / "in", i) for i in range(6)]
    real = register._insert_rows
    seen = []

    def kill_at_fourth(conn, prepared, statement, params):
        seen.append(prepared)
        if len(seen) == 4:
            with psycopg.connect(db_conninfo, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        return real(conn, prepared, statement, params)

    monkeypatch.setattr(register, "_insert_rows", kill_at_fourth)
    # Prepared first, then committed together: one batch of six.
    from concurrent.futures import Future

    from soxsvo.archive import ingest
    from soxsvo.archive.prepare import prepare_product

    batch = []
    for path in files:
        future = Future()
        future.set_result(prepare_product(path))
        batch.append((path, future))
    outcomes = ingest._commit(batch, psycopg.connect(db_conninfo), config)
    assert [o.status for o in outcomes] == ["rejected"] * 6
    assert all("database connection lost, nothing registered" in o.line for o in outcomes)
    assert all(o.error.retryable for o in outcomes)
    assert assert_consistent(db_conninfo, config.store) == 0  # copies of the batch removed
    monkeypatch.setattr(register, "_insert_rows", real)
    assert run(db_conninfo, files, config).count("registered") == 6


def test_one_bad_product_in_a_batch_does_not_stop_the_others(tmp_path, config, db_conninfo):
    good = [write_tiny(tmp_path / "in", i) for i in range(4)]
    # Valid Phase 3 but unmappable: an observation id over the bigint range of ob_id.
    odd = write_tiny(tmp_path / "in", 9, obid=2**63 + 5, name="odd.fits")
    summary = run(db_conninfo, [*good[:2], odd, *good[2:]], config, workers=1, batch_size=64)
    assert [o.status for o in summary.outcomes] == ["registered"] * 2 + ["rejected"] + \
        ["registered"] * 2
    assert "odd.fits" in summary.outcomes[2].line
    assert assert_consistent(db_conninfo, config.store) == 4


@pytest.fixture
def packaged(tmp_path):
    for seed, arm in enumerate(("VIS", "NIR")):
        write_soxspipe(tmp_path / "reduced", arm, seed=seed)
    package_reduced([tmp_path / "reduced"], tmp_path / "p3")
    return tmp_path / "p3"


def test_associated_files_stored_with_their_product(packaged, config, db_conninfo):
    skysub = sorted(packaged.glob("*_SKYSUB.fits"))
    assert len(skysub) == 2
    before = sums(packaged.iterdir())
    summary = run(db_conninfo, [packaged], config)
    # Products only: the 2D spectra are not products of their own.
    assert summary.count("registered") == 3 and summary.exit_code == 0
    assert not [o for o in summary.outcomes if o.path.name.endswith("_SKYSUB.fits")]
    with psycopg.connect(db_conninfo) as conn:
        rows = conn.execute(
            "SELECT p.original_name, a.name, a.category, a.content_type, a.file_path, "
            "a.sha256, a.md5, a.file_size FROM soxs.ancillary a "
            "JOIN soxs.product p USING (publisher_did) ORDER BY a.name").fetchall()
    assert [r[1] for r in rows] == [p.name for p in skysub]
    for original, name, category, ctype, file_path, sha256, md5, size in rows:
        assert name == original.replace(".fits", "_SKYSUB.fits")
        assert (category, ctype) == ("ANCILLARY.2DSPECTRUM", "application/fits")
        stored = Path(file_path)
        assert stored == stored_path(config.store, sha256)
        assert stored.read_bytes() == (packaged / name).read_bytes()
        assert size == stored.stat().st_size and len(md5) == 32
    assert sums(packaged.iterdir()) == before


def test_associated_file_faults(packaged, config, db_conninfo, tmp_path):
    uvvis = next(p for p in packaged.glob("*_UVVIS_*.fits") if "_SKYSUB" not in p.name)
    nir = next(p for p in packaged.glob("*_NIR_*.fits") if "_SKYSUB" not in p.name)
    # Changed after packaging: its MD5 no longer matches ASSOM1 -> the product is refused.
    tampered = uvvis.with_name(uvvis.stem + "_SKYSUB.fits")
    tampered.write_bytes(tampered.read_bytes()[:-2880] + b"\0" * 2880)
    # Not delivered: the product is accepted, the gap recorded (no stored copy).
    nir.with_name(nir.stem + "_SKYSUB.fits").unlink()
    summary = run(db_conninfo, [uvvis, nir], config)
    bad, missing = summary.outcomes
    assert bad.status == "rejected" and "does not match its ASSOM1" in bad.line
    assert missing.status == "registered"
    with psycopg.connect(db_conninfo) as conn:
        rows = conn.execute("SELECT name, file_path, sha256 FROM soxs.ancillary").fetchall()
    assert rows == [(nir.stem + "_SKYSUB.fits", None, None)]
    assert assert_consistent(db_conninfo, config.store) == 1


def test_store_failure_on_the_associated_file_removes_the_product_copy(
        packaged, config, db_conninfo, monkeypatch):
    # The second copy of the registration (the associated file) fails: the product's own
    # copy, made just before, must be removed with it.
    import errno
    import shutil

    uvvis = next(p for p in packaged.glob("*_UVVIS_*.fits") if "_SKYSUB" not in p.name)
    real = shutil.copyfile

    def full_on_ancillary(src, dst):
        if str(src).endswith("_SKYSUB.fits"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(shutil, "copyfile", full_on_ancillary)
    [outcome] = run(db_conninfo, [uvvis], config, workers=1).outcomes
    assert outcome.status == "rejected" and outcome.error.retryable
    assert "No space left on device" in outcome.line
    assert assert_consistent(db_conninfo, config.store) == 0
