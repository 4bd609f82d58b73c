"""read_phase3_spectrum: arrays and metadata come back as written."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from soxsvo.phase3.spectrum import read_phase3_spectrum, to_hdulist


def test_round_trip(spectrum_file, spectrum):
    back = read_phase3_spectrum(spectrum_file)
    for name in ("wave", "flux", "err", "qual"):
        np.testing.assert_array_equal(getattr(back, name), getattr(spectrum, name))
        assert getattr(back, name).dtype.isnative
    assert back.arm == "UVVIS"
    assert back.object == spectrum.object
    assert back.obids == spectrum.obids and back.prov == spectrum.prov
    assert back.assoc == spectrum.assoc
    assert back.mjd_obs == spectrum.mjd_obs and back.exptime == spectrum.exptime
    assert back.meta["PRODCATG"] == "SCIENCE.SPECTRUM"
    assert back.meta["VOCLASS"] == "SPECTRUM V1.0"


def test_angstrom_wavelengths_are_converted(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    hdul[1].data["WAVE"][0] *= 10.0
    hdul[1].columns["WAVE"].unit = "angstrom"
    path = tmp_path / "aa.fits"
    hdul.writeto(path)
    back = read_phase3_spectrum(path)
    np.testing.assert_allclose(back.wave, spectrum.wave)


def test_not_a_spectrum(tmp_path):
    path = tmp_path / "img.fits"
    fits.PrimaryHDU(np.zeros((3, 3))).writeto(path)
    with pytest.raises(ValueError, match="binary-table"):
        read_phase3_spectrum(path)
