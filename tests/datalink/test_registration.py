"""Registration keeps delivered associated files and named calibrations; their visibility is the
product's."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from soxsvo.archive.register import ArchiveConfig, RegistrationError, register_product


def _product(folder: Path, *, md5: str | None = None, days_ago: float = 800.0) -> Path:
    from soxsvo.demo.spectra import synthesize_observation
    from soxsvo.phase3.spectrum import AssociatedFile, write_phase3_spectrum

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    spectrum = synthesize_observation(rng, mjd_obs=Time.now().mjd - days_ago,
                                      prog_id="116.2AZ7.001").nir
    two_d = folder / "X_SKYSUB.fits"
    fits.PrimaryHDU(np.ones((4, 50), dtype=np.float32)).writeto(two_d)
    spectrum.assoc = [AssociatedFile(two_d.name, "ANCILLARY.2DSPECTRUM",
                                     md5 or hashlib.md5(two_d.read_bytes()).hexdigest())]
    spectrum.extra_header["HIERARCH ESO PRO REC1 CAL1 NAME"] = "M.SOXS.2025-01-10T10:00:00.000"
    spectrum.extra_header["HIERARCH ESO PRO REC1 CAL1 CATG"] = "MASTER_FLAT_NIR"
    path = folder / "X.fits"
    write_phase3_spectrum(spectrum, path)
    return path


def test_delivered_file_is_stored_and_recorded(settings, db_conn, tmp_path) -> None:
    path = _product(tmp_path / "in")
    config = ArchiveConfig.from_settings(settings)
    registration = register_product(db_conn, path, config)
    stored, sha256, size = db_conn.execute(
        "SELECT file_path, sha256, file_size FROM soxs.ancillary WHERE publisher_did = %s",
        (registration.publisher_did,)).fetchone()
    delivered = (tmp_path / "in" / "X_SKYSUB.fits").read_bytes()
    assert Path(stored).read_bytes() == delivered and size == len(delivered)
    assert Path(stored).is_relative_to(config.store)
    assert sha256 == hashlib.sha256(delivered).hexdigest()
    assert db_conn.execute("SELECT name, category FROM soxs.calibration").fetchall() == [
        ("M.SOXS.2025-01-10T10:00:00.000", "MASTER_FLAT_NIR")]
    assert (tmp_path / "in" / "X_SKYSUB.fits").read_bytes() == delivered  # input untouched


def test_associated_file_with_wrong_md5_is_refused_whole(settings, db_conn, tmp_path) -> None:
    path = _product(tmp_path / "in", md5="0" * 32)
    config = ArchiveConfig.from_settings(settings)
    with pytest.raises(RegistrationError, match="MD5"):
        register_product(db_conn, path, config)
    assert db_conn.execute("SELECT count(*) FROM soxs.product").fetchone()[0] == 0
    assert not [p for p in config.store.rglob("*") if p.is_file()]


def test_proprietary_products_files_are_hidden(settings, db_conn, tmp_path) -> None:
    from soxsvo.web.app import create_app

    path = _product(tmp_path / "in", days_ago=10.0)
    registration = register_product(db_conn, path, ArchiveConfig.from_settings(settings))
    db_conn.commit()
    client = create_app(settings).test_client()
    dp_id = registration.dp_id
    assert client.get(f"/files/{dp_id}/ancillary/X_SKYSUB.fits").status_code == 404
    assert client.get(f"/preview/{dp_id}.png").status_code == 404
    links = client.get("/datalink/links", query_string={"ID": registration.publisher_did})
    assert b"NotFoundFault" in links.data and b"X_SKYSUB" not in links.data
    assert b"M.SOXS" not in links.data


def test_migration_rewrites_old_access_urls_as_registration_writes_them(settings, db_conn,
                                                                        tmp_path) -> None:
    from soxsvo.archive.obscore_map import DATALINK_MIME, datalink_url
    from soxsvo.db.migrations import SQL_DIR

    registration = register_product(db_conn, _product(tmp_path / "in"),
                                     ArchiveConfig.from_settings(settings))
    did, dp_id = registration.publisher_did, registration.dp_id
    # As rows registered before migration 040 were.
    db_conn.execute("UPDATE ivoa.obscore SET access_url = %s, access_format = "
                    "'application/fits' WHERE obs_publisher_did = %s",
                    (f"https://archive.example/soxs/files/{dp_id}", did))
    migration = (SQL_DIR / "040_datalink.sql").read_text()
    db_conn.execute(migration[migration.index("UPDATE ivoa.obscore"):])
    url, mime = db_conn.execute("SELECT access_url, access_format FROM ivoa.obscore "
                                "WHERE obs_publisher_did = %s", (did,)).fetchone()
    assert url == datalink_url("https://archive.example/soxs", did)
    assert mime == DATALINK_MIME
