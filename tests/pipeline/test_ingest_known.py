"""Re-ingesting registered files: decided by checksum before any validation, and still said."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from test_ingest_support import assert_consistent, write_tiny

import soxsvo.phase3.validate as validate_module
from soxsvo.archive.ingest import ingest_paths, registered_checksums
from soxsvo.archive.prepare import prepare_product
from soxsvo.archive.register import ArchiveConfig, RegistrationError, commit_batch


@pytest.fixture
def config(settings):
    return ArchiveConfig.from_settings(settings)


def run(db_conninfo, paths, config, **kwargs):
    return ingest_paths(lambda: psycopg.connect(db_conninfo), paths, config, **kwargs)


def test_registered_files_are_not_validated_again(tmp_path, db_conninfo, config,
                                                  monkeypatch):
    files = [write_tiny(tmp_path / "in", i) for i in range(4)]
    first = run(db_conninfo, [tmp_path / "in"], config, workers=1)
    assert first.count("registered") == 4
    fresh = write_tiny(tmp_path / "in", 9)
    checked = []
    real = validate_module.validate_context
    monkeypatch.setattr(validate_module, "validate_context",
                        lambda ctx, **kw: checked.append(ctx.path) or real(ctx, **kw))
    again = run(db_conninfo, [tmp_path / "in"], config, workers=1)
    assert [o.status for o in again.outcomes] == ["already-registered"] * 4 + ["registered"]
    assert all("already registered as ivo://" in o.line and "nothing changed" in o.line
               for o in again.outcomes[:4])
    assert checked == [str(fresh)]  # only the new file went through the Phase 3 rules
    assert assert_consistent(db_conninfo, config.store) == 5
    assert len(files) == 4


def test_same_bytes_under_another_name_still_recognised(tmp_path, db_conninfo, config):
    original = write_tiny(tmp_path / "a", 1)
    run(db_conninfo, [original], config, workers=1)
    copy = tmp_path / "b" / "renamed.fits"
    copy.parent.mkdir()
    shutil.copyfile(original, copy)
    with psycopg.connect(db_conninfo) as conn:
        assert registered_checksums(conn, [copy]) == frozenset()
    (outcome,) = run(db_conninfo, [copy], config, workers=1).outcomes
    assert outcome.status == "already-registered"
    assert assert_consistent(db_conninfo, config.store) == 1


def test_known_checksum_no_longer_registered_is_not_half_registered(tmp_path, db_conninfo,
                                                                     config):
    path = write_tiny(tmp_path, 3)
    prepared = prepare_product(path, known={prepare_product(path).sha256})
    assert prepared.known and prepared.mapped == {}
    with psycopg.connect(db_conninfo) as conn:
        (result,) = commit_batch(conn, [prepared], config)
    assert isinstance(result, RegistrationError) and result.retryable
    assert "ingest it again" in str(result)
    assert assert_consistent(db_conninfo, config.store) == 0
