"""The demo's synthetic SOXS spectra: deterministic, in range, telluric flags, fast, valid."""

from __future__ import annotations

import numpy as np
import pytest

from soxsvo.demo.spectra import (
    KINDS,
    arm_grid,
    synthesize_observation,
    telluric_transmission,
)
from soxsvo.phase3.spectrum import QualityFlag, write_phase3_spectrum
from soxsvo.phase3.validate import validate_product


def _obs(seed, **kw):
    return synthesize_observation(np.random.default_rng(seed), **kw)


def test_deterministic_for_a_seed():
    a, b, c = _obs(7), _obs(7), _obs(8)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.flux, y.flux)
        np.testing.assert_array_equal(x.qual, y.qual)
    assert not np.array_equal(a.uvvis.flux, c.uvvis.flux)


def test_grids_and_dtypes():
    obs = _obs(1)
    assert obs.uvvis.wave[0] == 350.0 and obs.uvvis.wave[-1] == pytest.approx(850.0)
    assert np.diff(obs.uvvis.wave) == pytest.approx(0.02)
    assert obs.nir.wave[0] == 800.0 and obs.nir.wave[-1] == pytest.approx(2000.0)
    assert np.diff(obs.nir.wave) == pytest.approx(0.06)
    assert obs.merged.wave[0] == 350.0 and obs.merged.wave[-1] == pytest.approx(2000.0)
    for s in obs:
        assert s.wave.dtype == np.float64 and s.flux.dtype == np.float32
        assert s.err.dtype == np.float32 and s.qual.dtype in (np.int16, np.int32)
        assert np.all(np.diff(s.wave) > 0)
    assert [s.arm for s in obs] == ["UVVIS", "NIR", "MERGED"]


def test_telluric_bands_flagged():
    obs = _obs(2)
    for arm, band in (("UVVIS", 761.5), ("NIR", 1400.0), ("NIR", 1880.0)):
        s = getattr(obs, arm.lower())
        pix = np.argmin(np.abs(s.wave - band))
        assert s.qual[pix] & QualityFlag.TELLURIC, (arm, band)
    clear = np.argmin(np.abs(obs.nir.wave - 1250.0))
    assert not obs.nir.qual[clear] & QualityFlag.TELLURIC
    assert telluric_transmission(np.array([1400.0]))[0] < 0.01
    assert telluric_transmission(np.array([650.0]))[0] > 0.99


@pytest.mark.parametrize("kind", KINDS)
def test_magnitude_and_noise(kind):
    s = _obs(3, kind=kind, magnitude=18.0, redshift=0.02).uvvis
    band = (s.wave > 600) & (s.wave < 640)
    f_nu = np.median(s.flux[band]) * 620.0 ** 2 * 100.0 / 2.99792458e18  # f_lambda -> f_nu
    mag = -2.5 * np.log10(f_nu) - 48.6
    assert 17.0 < mag < 19.5
    good = s.qual == 0
    # Noise consistent with ERR: normalised residuals around a smooth model have unit scatter.
    resid = (s.flux[good][1:] - s.flux[good][:-1]) / (np.sqrt(2) * s.err[good][1:])
    assert 0.8 < np.std(resid[np.abs(resid) < 5]) < 1.2


def test_sn_ia_has_si_ii_trough():
    s = _obs(4, kind="SN Ia", redshift=0.0, magnitude=17.0).uvvis
    trough = np.median(s.flux[(s.wave > 608) & (s.wave < 618)])
    beside = np.median(s.flux[(s.wave > 645) & (s.wave < 655)])
    assert trough < 0.8 * beside


def test_arm_grid_lengths():
    assert arm_grid("UVVIS").size == 25001 and arm_grid("NIR").size == 20001


def test_written_spectra_are_valid(tmp_path):
    # How fast they are made is measured in benchmarks/bench_demo.py, not asserted here: a
    # timed test fails on a busy machine without anything being wrong.
    obs = _obs(5, kind="TDE")
    paths = []
    for s in obs:
        paths.append(tmp_path / f"{s.arm}.fits")
        write_phase3_spectrum(s, paths[-1])
    for p in paths:
        report = validate_product(p)
        assert report.ok, report.to_text()
