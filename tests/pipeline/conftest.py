"""Fixtures of the pipeline tests; the product builders live in p3_products.py."""

from __future__ import annotations

import pytest
from p3_products import make_spectrum

from soxsvo.phase3.spectrum import Phase3Spectrum, write_phase3_spectrum


@pytest.fixture
def spectrum() -> Phase3Spectrum:
    return make_spectrum()


@pytest.fixture
def spectrum_file(tmp_path, spectrum):
    path = tmp_path / "spectrum.fits"
    write_phase3_spectrum(spectrum, path)
    return path


@pytest.fixture
def spectrum_factory():
    """``make_spectrum`` itself, for tests that need variants."""
    return make_spectrum
