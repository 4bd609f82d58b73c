"""``soxsvo package`` on products written by soxspipe's own code (``tests/data/soxspipe/``):
what soxspipe 0.19 really writes becomes valid Phase 3 spectra with errors that match the
known truth the fixtures were made from; standards are skipped; faults are per observation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

from soxsvo.cli import main as cli
from soxsvo.marshall.spectra import spectrum_series
from soxsvo.phase3.spectrum import read_phase3_spectrum
from soxsvo.phase3.validate import validate_product
from soxsvo.pipeline.package import package_reduced

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "soxspipe"
V019 = FIXTURES / "0.19.0"
VERSIONS = ["0.17.4", "0.19.0"]


def truth(wave_air_nm: np.ndarray) -> np.ndarray:
    """``make_fixtures.truth``: the flux density the fixtures were made from."""
    return 2.0e-16 * (1.0 + 0.3 * (wave_air_nm - 800.0) / 40.0) * (
        1.0 - 0.4 * np.exp(-0.5 * ((wave_air_nm - 806.0) / 0.3) ** 2))


@pytest.fixture(params=VERSIONS)
def night(request, tmp_path: Path) -> Path:
    """A writable copy of one soxspipe version's products and raw frames."""
    folder = tmp_path / "reduced"
    shutil.copytree(FIXTURES / request.param, folder)
    return folder


@pytest.fixture
def night_019(tmp_path: Path) -> Path:
    """A writable copy of the soxspipe 0.19.0 products and raw frames."""
    folder = tmp_path / "reduced"
    shutil.copytree(V019, folder)
    return folder


def version_of(folder: Path) -> str:
    header = fits.getheader(folder / "vis_stare_obj_EXTRACTED_MERGED.fits")
    return header["ESO PRO REC1 PIPE ID"].removeprefix("soxspipe/v")


def table(path: Path) -> fits.FITS_rec:
    with fits.open(path) as hdul:
        return hdul[1].data.copy()


def by_arm(products) -> dict:
    return {p.spectrum.arm: p for p in products}


@pytest.mark.parametrize("version", VERSIONS)
def test_fixtures_are_what_soxspipe_writes(version):
    header = fits.getheader(FIXTURES / version / "vis_stare_obj_EXTRACTED_MERGED.fits")
    assert header["ESO PRO REC1 PIPE ID"] == f"soxspipe/v{version}"
    assert header["ESO PRO CATG"] == "SCI_SLIT_FLUX_VIS"
    names = table(FIXTURES / version / "vis_stare_obj_EXTRACTED_MERGED.fits").columns.names
    # DY-1622 (0.19): no flux density in a flat-fielded merged spectrum.
    density = ["FLUX_DENSITY_COUNTS"] if version.startswith("0.17") else []
    assert names == ["WAVE", "FLUX_COUNTS", "VARIANCE", "SKY_COUNTS", "SNR", *density]
    assert table(FIXTURES / version / "vis_stare_obj_FLUXCAL.fits").columns.names == [
        "WAVE", "FLUX_CALIBRATED"]


def test_products_become_valid_phase3_spectra_with_honest_errors(night, tmp_path):
    run = package_reduced([night], tmp_path / "p3")
    assert run.failed == []
    arms = by_arm(run.written)
    assert sorted(arms) == ["MERGED", "NIR", "UVVIS"]
    for product in run.written:
        report = validate_product(product.path)
        assert report.ok, report.to_text()
    for arm, sof in (("UVVIS", "vis_stare_obj"), ("NIR", "nir_stare_obj")):
        spectrum = read_phase3_spectrum(arms[arm].path)
        merged = table(night / f"{sof}_EXTRACTED_MERGED.fits")
        cal = table(night / f"{sof}_FLUXCAL.fits")["FLUX_CALIBRATED"]
        good = spectrum.qual == 0
        # soxspipe bridges the grid's ends with np.interp(left=0): zero variance, flagged.
        assert not good[merged["VARIANCE"] <= 0].any()
        assert good.sum() > 0.95 * good.size
        np.testing.assert_allclose(spectrum.flux[good], cal[good], rtol=1e-6)
        with np.errstate(divide="ignore", invalid="ignore"):  # the bridged zero pixels
            expected_err = np.sqrt(merged["VARIANCE"]) * cal / merged["FLUX_COUNTS"]
        np.testing.assert_allclose(spectrum.err[good], np.abs(expected_err[good]), rtol=1e-5)
        # Against the truth the products were made from: residuals in units of ERR have a
        # spread of about one. soxspipe interpolates the variance linearly between detector
        # pixels, which overstates the error of an interpolated flux (by up to sqrt(2)), so
        # the spread lies between 1/sqrt(2) and 1.
        pull = (spectrum.flux[good] - truth(merged["WAVE"][good])) / spectrum.err[good]
        assert abs(np.mean(pull)) < 0.15
        assert 0.6 < np.std(pull) < 1.1
        assert spectrum.flux_unit == "erg.cm**(-2).s**(-1).angstrom**(-1)"
        assert spectrum.procsoft == f"soxspipe/v{version_of(night)}"


def test_nir_exposure_is_the_detector_sequence_not_one_dit(night, tmp_path):
    run = package_reduced([night], tmp_path / "p3")
    nir = read_phase3_spectrum(by_arm(run.written)["NIR"].path)
    raws = [fits.getheader(night / f"SOXS_NIR_OBJ_{k}.fits") for k in range(2)]
    assert raws[0]["EXPTIME"] == 600.0 and raws[0]["ESO DET SEQ1 EXPTIME"] == 1800.0
    assert nir.texptime == 3600.0 and nir.exptime == 3600.0
    assert nir.mjd_end == pytest.approx(raws[1]["MJD-OBS"] + 1800.0 / 86400.0, abs=1e-9)
    assert nir.meta["TELAPSE"] == pytest.approx((nir.mjd_end - nir.mjd_obs) * 86400.0)
    vis = read_phase3_spectrum(by_arm(run.written)["UVVIS"].path)
    assert vis.texptime == 1200.0


def test_flux_standard_is_skipped_with_a_line(night, tmp_path):
    run = package_reduced([night], tmp_path / "p3")
    skipped = [n for n in run.not_packaged if not n.failed]
    assert [n.path.name for n in skipped] == ["vis_stare_std_EXTRACTED_MERGED.fits"]
    assert "flux standard LTT 3218" in skipped[0].line
    assert "soxs-stare-std" in skipped[0].line
    assert all(p.spectrum.object == "SN 2026xyz" for p in run.written)


def test_without_fluxcal_the_spectrum_is_uncalibrated_electrons_and_not_merged(night, tmp_path):
    for path in night.glob("*_FLUXCAL.fits"):
        path.unlink()
    run = package_reduced([night], tmp_path / "p3")
    arms = by_arm(run.written)
    assert sorted(arms) == ["NIR", "UVVIS"]
    vis = read_phase3_spectrum(arms["UVVIS"].path)
    merged = table(night / "vis_stare_obj_EXTRACTED_MERGED.fits")
    assert vis.fluxcal == "UNCALIBRATED" and vis.flux_unit == "electron"
    good = vis.qual == 0
    np.testing.assert_allclose(vis.flux[good], merged["FLUX_COUNTS"][good], rtol=1e-6)
    np.testing.assert_allclose(vis.err[good], np.sqrt(merged["VARIANCE"][good]), rtol=1e-6)
    assert validate_product(arms["UVVIS"].path).ok
    # The marshall's plot labels the axis with the unit the file states.
    assert spectrum_series(str(arms["UVVIS"].path))["flux_unit"] == "electron"


def test_missing_column_names_file_version_and_column(night_019, tmp_path):
    night = night_019
    path = night / "nir_stare_obj_FLUXCAL.fits"
    with fits.open(path) as hdul:
        data = hdul[1].data
        cols = fits.ColDefs([c for c in data.columns if c.name != "FLUX_CALIBRATED"])
        fits.HDUList([hdul[0].copy(), fits.BinTableHDU.from_columns(cols)]).writeto(
            path, overwrite=True)
    result = CliRunner().invoke(cli, ["package", str(night), "--out", str(tmp_path / "p3")])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    refused = [x for x in lines if "nir_stare_obj_EXTRACTED_MERGED.fits: not packaged" in x]
    assert len(refused) == 1
    assert "nir_stare_obj_FLUXCAL.fits (soxspipe/v0.19.0): no FLUX_CALIBRATED column" in refused[0]
    # The UV-VIS arm of the same observation is not delivered alone, and says why.
    assert any("vis_stare_obj_EXTRACTED_MERGED.fits: not packaged: another file of the "
               "observation could not be packaged (nir_stare_obj_EXTRACTED_MERGED.fits)" in line
               for line in lines)
    assert lines[-1] == f"0 Phase 3 products written to {tmp_path / 'p3'}, 2 files not packaged"
    assert [p.name for p in (tmp_path / "p3").iterdir()] == []


def test_a_broken_observation_does_not_stop_the_night(night_019, tmp_path):
    night = night_019
    # The standard becomes a science target of its own OB whose raw frame is missing; the
    # science observation is still packaged whole.
    (night / "SOXS_VIS_STD_1.fits").unlink()
    with fits.open(night / "vis_stare_std_EXTRACTED_MERGED.fits", mode="update") as hdul:
        hdul[0].header["ESO PRO REC1 ID"] = "soxs-stare"
        for i in (1, 2):
            hdul[0].header[f"ESO PRO REC1 RAW{i} CATG"] = "OBJECT_VIS"
    run = package_reduced([night], tmp_path / "p3")
    assert [n.path.name for n in run.failed] == ["vis_stare_std_EXTRACTED_MERGED.fits"]
    assert "SOXS_VIS_STD_1.fits" in run.failed[0].reason
    assert sorted(by_arm(run.written)) == ["MERGED", "NIR", "UVVIS"]
