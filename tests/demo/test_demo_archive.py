"""The demo archive: deterministic, readable FITS, database rows that match the files."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from astropy.io import fits

from soxsvo.archive.register import ArchiveConfig
from soxsvo.demo.archive import build_demo_archive


def _obscore(conninfo: str):
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT o.target_name, o.s_ra, o.s_dec, o.em_min, o.em_max, o.t_min, "
            "o.dataproduct_subtype, p.sha256, p.file_path FROM ivoa.obscore o "
            "JOIN soxs.product p ON p.publisher_did = o.obs_publisher_did "
            "ORDER BY o.t_min, o.dataproduct_subtype"
        ).fetchall()


def test_every_product_file_matches_its_obscore_row(demo_archive) -> None:
    rows = _obscore(demo_archive.database_url)
    assert len(rows) >= 9
    assert {r[6] for r in rows} == {"uvvis", "nir", "merged"}
    for target, ra, dec, em_min, em_max, t_min, subtype, _sha, path in rows:
        with fits.open(path) as hdus:
            head = hdus[0].header
            wave = hdus[1].data["WAVE"][0]
            assert head["PRODCATG"] == "SCIENCE.SPECTRUM"
            assert (head["OBJECT"], head["RA"], head["DEC"]) == (target, ra, dec)
            assert head["MJD-OBS"] == t_min
            assert wave.min() * 1e-9 == pytest.approx(em_min, rel=1e-9)
            assert wave.max() * 1e-9 == pytest.approx(em_max, rel=1e-9)
            assert np.all(np.diff(wave) > 0)
        bounds = {"uvvis": (340, 860), "nir": (790, 2010), "merged": (340, 2010)}[subtype]
        assert bounds[0] * 1e-9 <= em_min < em_max <= bounds[1] * 1e-9


def test_transients_and_observations_are_linked(demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        transients = conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM ivoa.obscore o LEFT JOIN soxs.observation s "
            "ON s.obs_id = o.obs_id WHERE s.transient_id IS NULL").fetchone()[0]
        unknown = conn.execute(
            "SELECT count(*) FROM soxs.provenance WHERE NOT known").fetchone()[0]
        surveys = {r[0] for r in conn.execute("SELECT DISTINCT survey FROM marshall.photometry")}
    assert transients == 12
    assert orphans == 0
    assert unknown == 0, "every PROVi of the demo names a registered raw frame"
    assert {"ZTF", "ATLAS"} <= surveys


def test_same_seed_gives_the_same_archive(demo_archive, db_conninfo, tmp_path) -> None:
    settings_env = ArchiveConfig(store=tmp_path / "store", base_url="http://x")
    with psycopg.connect(db_conninfo) as conn:
        build_demo_archive(conn, settings_env, n_transients=12, seed=7, workdir=tmp_path / "w")
    ours = [row[:8] for row in _obscore(db_conninfo)]
    theirs = [row[:8] for row in _obscore(demo_archive.database_url)]
    assert ours == theirs, "same positions, wavelengths, times and file checksums"


def test_second_run_changes_nothing(db_conninfo, tmp_path) -> None:
    config = ArchiveConfig(store=tmp_path / "store", base_url="http://x")
    with psycopg.connect(db_conninfo) as conn:
        first = build_demo_archive(conn, config, n_transients=3, seed=1, workdir=tmp_path / "w")
        second = build_demo_archive(conn, config, n_transients=3, seed=1, workdir=tmp_path / "w")
    assert first.created and not second.created
    assert (second.transients, second.spectra) == (first.transients, first.spectra)
    assert "nothing changed" in second.message


def test_current_magnitudes_follow_the_ingestion_rule(demo_archive) -> None:
    # The demo stores the current magnitude by the alert-ingestion rule: the latest night's
    # detections in the latest band, with its band and date (never a limit).
    with psycopg.connect(demo_archive.database_url) as conn:
        rows = conn.execute(
            "SELECT t.current_mag, t.current_mag_band, t.current_mag_mjd, t.last_detection_mjd,"
            " (SELECT min(p.orig_value) FROM marshall.photometry p"
            "   WHERE p.transient_id = t.transient_id AND NOT p.upper_limit"
            "   AND p.band = t.current_mag_band AND p.mjd BETWEEN t.current_mag_mjd - 1"
            "   AND t.current_mag_mjd),"
            " (SELECT max(p.orig_value) FROM marshall.photometry p"
            "   WHERE p.transient_id = t.transient_id AND NOT p.upper_limit"
            "   AND p.band = t.current_mag_band AND p.mjd BETWEEN t.current_mag_mjd - 1"
            "   AND t.current_mag_mjd)"
            " FROM marshall.transient t WHERE EXISTS (SELECT 1 FROM marshall.photometry p"
            "   WHERE p.transient_id = t.transient_id AND NOT p.upper_limit)").fetchall()
    assert rows
    for mag, band, mag_mjd, last_detection, brightest, faintest in rows:
        assert mag is not None and band is not None and mag_mjd == last_detection
        assert brightest - 1e-9 <= mag <= faintest + 1e-9
