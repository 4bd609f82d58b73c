"""``soxsvo package``: soxspipe SCI_SLIT_FLUX products (built here in soxspipe's documented
layout) become valid Phase 3 spectra with the error propagated through the flux calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import pytest
from astropy.io import fits
from click.testing import CliRunner
from soxspipe_format import ARMS, write_soxspipe

from soxsvo.archive.register import ArchiveConfig, register_product
from soxsvo.cli import main as cli
from soxsvo.phase3.spectrum import read_phase3_spectrum
from soxsvo.phase3.validate import validate_product
from soxsvo.pipeline.package import (
    air_to_vacuum,
    barycentric_velocity,
    package_reduced,
    spec_res,
)


@pytest.fixture
def reduced(tmp_path):
    return {arm: write_soxspipe(tmp_path / "reduced", arm, seed=i)
            for i, arm in enumerate(ARMS)}


def test_arms_and_merge_validate_and_propagate_errors(tmp_path, reduced):
    out = tmp_path / "p3"
    products = package_reduced([tmp_path / "reduced"], out).written
    assert sorted(p.spectrum.arm for p in products) == ["MERGED", "NIR", "UVVIS"]
    for product in products:
        report = validate_product(product.path)
        assert report.ok, report.to_text()
    vis_path = next(p.path for p in products if p.spectrum.arm == "UVVIS")
    vis = read_phase3_spectrum(vis_path)
    inputs = reduced["VIS"]
    # ERR = sqrt(VARIANCE) * FLUX_CALIBRATED / FLUX_COUNTS = sqrt(VARIANCE) / bin * response.
    expected = np.sqrt(inputs["variance"]) / inputs["step"] * inputs["response"]
    good = vis.qual == 0
    assert not good[7] and good[5]
    np.testing.assert_allclose(vis.err[good], expected[good], rtol=1e-6)
    np.testing.assert_allclose(vis.flux[good], (inputs["density"] * inputs["response"])[good],
                               rtol=1e-6)
    assert np.isnan(vis.flux[7]) and np.isnan(vis.err[7])
    np.testing.assert_allclose(vis.snr[good], vis.flux[good] / vis.err[good], rtol=1e-5)
    # Vacuum wavelengths: ~0.22 nm redder than air at 800 nm.
    np.testing.assert_allclose(vis.wave, air_to_vacuum(inputs["wave"]))
    assert 0.20 < vis.wave[0] - inputs["wave"][0] < 0.24
    meta = vis.meta
    assert vis.prov == [r["ARCFILE"] for r in inputs["raws"]]
    assert vis.ncombine == 2 and vis.texptime == 1200.0 and vis.obids == [3000042]
    assert vis.mjd_end == pytest.approx(inputs["raws"][1]["MJD-OBS"] + 600 / 86400)
    assert meta["SPEC_RES"] == 4500.0 and meta["SPECSYS"] == "TOPOCENT"
    assert meta["WAVELMIN"] == pytest.approx(vis.wave[0])
    assert meta["PROCSOFT"] == "soxspipe/v0.17.4"
    assert "air to vacuum" in str(fits.getheader(vis_path)["HISTORY"])
    assert vis.assoc[0].category == "ANCILLARY.2DSPECTRUM"
    assert (out / vis.assoc[0].name).is_file()
    nir = next(p.spectrum for p in products if p.spectrum.arm == "NIR")
    assert nir.spec_res == spec_res("NIR", "SLIT1.5") == pytest.approx(5000 / 1.5, abs=1)
    merged = next(p.spectrum for p in products if p.spectrum.arm == "MERGED")
    assert merged.ncombine == 4 and len(merged.prov) == 4
    assert merged.wavelmin == vis.wave[0] and merged.wavelmax == pytest.approx(nir.wave[-1])


def test_barycentric_correction(tmp_path, reduced):
    products = package_reduced([tmp_path / "reduced"], tmp_path / "p3", barycentric=True,
                               merge=False).written
    vis = next(p.spectrum for p in products if p.spectrum.arm == "UVVIS")
    assert vis.specsys == "BARYCENT" and validate_product(products[0].path).ok
    v = barycentric_velocity(150.25, -30.5, (vis.mjd_obs + vis.mjd_end) / 2)
    assert 0 < abs(v) < 31
    ratio = vis.wave / air_to_vacuum(reduced["VIS"]["wave"])
    np.testing.assert_allclose(ratio, 1 + v / 299792.458, rtol=1e-12)


def test_missing_raw_frames_are_named_and_the_observation_is_not_written(tmp_path, reduced):
    (tmp_path / "reduced" / "SOXS_VIS_OBJ_1.fits").unlink()
    run = package_reduced([tmp_path / "reduced"], tmp_path / "p3")
    assert run.written == []
    reasons = {n.path.name: n.reason for n in run.failed}
    assert "SOXS_VIS_OBJ_1.fits" in reasons["vis_stare_obj_EXTRACTED_MERGED.fits"]
    # The NIR arm of the same observation is fine but is not delivered alone.
    assert "vis_stare_obj_EXTRACTED_MERGED.fits" in reasons["nir_stare_obj_EXTRACTED_MERGED.fits"]
    assert list((tmp_path / "p3").iterdir()) == []


def test_cli_package_then_register(tmp_path, reduced, settings, db_conninfo):
    env = {"SOXSVO_DATA_DIR": str(settings.data_path), "SOXSVO_DATABASE_URL": db_conninfo}
    result = CliRunner().invoke(cli, ["package", str(tmp_path / "reduced"), "--out",
                                      str(tmp_path / "p3")], env=env)
    assert result.exit_code == 0, result.output
    assert "3 Phase 3 products written" in result.output
    with psycopg.connect(db_conninfo) as conn:
        for path in sorted((tmp_path / "p3").glob("SOXS_*_[MNU]*_*.fits")):
            if path.stem.count("_") == 3:
                assert register_product(conn, path, ArchiveConfig.from_settings(settings)).created
        subtypes = {r[0] for r in conn.execute(
            "SELECT dataproduct_subtype FROM ivoa.obscore").fetchall()}
        # soxspipe's master calibrations and the delivered 2D spectrum reach the archive.
        calibrations = conn.execute(
            "SELECT c.name FROM soxs.calibration c JOIN ivoa.obscore o "
            "ON o.obs_publisher_did = c.publisher_did WHERE o.dataproduct_subtype = 'uvvis'"
        ).fetchall()
        stored = conn.execute(
            "SELECT a.category, a.file_path FROM soxs.ancillary a JOIN ivoa.obscore o "
            "ON o.obs_publisher_did = a.publisher_did WHERE o.dataproduct_subtype = 'uvvis'"
        ).fetchall()
    assert subtypes == {"uvvis", "nir", "merged"}
    assert calibrations == [("MASTER_FLAT_VIS.fits",)]
    assert [category for category, _ in stored] == ["ANCILLARY.2DSPECTRUM"]
    assert Path(stored[0][1]).is_file()
