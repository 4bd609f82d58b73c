"""The cutout itself, on every kind of SOXS spectrum: valid Phase 3, only the band's pixels."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from astropy.io import fits

from soxsvo.phase3.spectrum import write_phase3_spectrum
from soxsvo.phase3.validate import validate_product
from soxsvo.soda.band import BandError, parse_band
from soxsvo.soda.cutout import EmptyCutoutError, cut_spectrum


@pytest.fixture(scope="module")
def spectra(tmp_path_factory):
    from soxsvo.demo.spectra import synthesize_observation

    folder = tmp_path_factory.mktemp("spectra")
    paths = {}
    for spectrum in synthesize_observation(np.random.default_rng(3)):
        paths[spectrum.arm] = folder / f"{spectrum.arm}.fits"
        write_phase3_spectrum(spectrum, paths[spectrum.arm])
    return paths


@pytest.mark.parametrize(("arm", "band"), [
    ("UVVIS", "5e-7 6e-7"), ("UVVIS", "-Inf 4e-7"), ("NIR", "1.9e-6 +Inf"),
    ("MERGED", "8.2e-7 1.2e-6"), ("MERGED", "-inf +inf"),
])
def test_cutout_is_valid_and_holds_the_band(spectra, arm, band) -> None:
    interval = parse_band(band)
    cut = fits.open(io.BytesIO(cut_spectrum(str(spectra[arm]), interval).fits_bytes()))
    report = validate_product(cut)
    assert report.ok, report.to_text()
    with fits.open(spectra[arm]) as original:
        wave = original[1].data["WAVE"][0] * 1e-9
        expected = (wave >= interval.lo) & (wave <= interval.hi)
        np.testing.assert_array_equal(cut[1].data["FLUX"][0],
                                      original[1].data["FLUX"][0][expected])
        assert cut[1].header["NELEM"] == expected.sum()
        assert cut[0].header["PROV1"] == original[0].header["PROV1"]
    assert any("SODA cutout" in str(card) for card in cut[0].header["HISTORY"])


def test_band_outside_the_spectrum_is_an_error_that_says_so(spectra) -> None:
    with pytest.raises(EmptyCutoutError, match="does not overlap the spectrum"):
        cut_spectrum(str(spectra["UVVIS"]), parse_band("1.9e-6 2e-6"))


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("5e-7 6e-7", 5e-7, 6e-7), ("-Inf 6e-7", -math.inf, 6e-7), ("5e-7 +Inf", 5e-7, math.inf),
    ("  5e-7   6e-7 ", 5e-7, 6e-7), ("6e-7 6e-7", 6e-7, 6e-7)])
def test_band_parses_dali_intervals(text, lo, hi) -> None:
    band = parse_band(text)
    assert (band.lo, band.hi) == (lo, hi)


@pytest.mark.parametrize("text", ["", "5e-7", "5e-7 6e-7 7e-7", "a b", "NaN 1", "6e-7 5e-7",
                                  "-1 -0.5"])
def test_band_rejects_what_is_not_an_interval(text) -> None:
    with pytest.raises(BandError):
        parse_band(text)
