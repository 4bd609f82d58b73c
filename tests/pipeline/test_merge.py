"""Stitching UV-VIS and NIR: inverse-variance weights, common grid, overlap, rebinning."""

from __future__ import annotations

import numpy as np
import pytest

from soxsvo.phase3.spectrum import QualityFlag
from soxsvo.pipeline.merge import combine_inverse_variance, common_grid, merge_arms, rebin


def test_inverse_variance_weighting_is_exact():
    f = [np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, np.nan])]
    e = [np.array([1.0, 1.0, 1.0]), np.array([2.0, 0.5, 1.0])]
    q = [np.zeros(3, int), np.array([0, 0, 4])]
    flux, err, qual = combine_inverse_variance(f, e, q)
    w1, w2 = 1.0, 0.25
    assert flux[0] == pytest.approx((w1 * 1 + w2 * 3) / (w1 + w2))
    assert err[0] == pytest.approx((w1 + w2) ** -0.5)
    assert flux[1] == pytest.approx((1 * 2 + 4 * 4) / 5.0)
    assert err[1] == pytest.approx(5.0 ** -0.5)
    assert flux[2] == 3.0 and err[2] == 1.0  # the flagged NaN pixel does not contribute
    assert list(qual) == [0, 0, 0]


def test_flagged_everywhere_keeps_flags():
    flux, err, qual = combine_inverse_variance(
        [np.array([1.0]), np.array([3.0])], [np.array([1.0]), np.array([1.0])],
        [np.array([QualityFlag.TELLURIC]), np.array([QualityFlag.BAD_PIXEL])])
    assert flux[0] == 2.0
    assert qual[0] == QualityFlag.TELLURIC | QualityFlag.BAD_PIXEL


def test_rebin_identity_and_flux_conservation():
    wave = np.arange(100.0, 110.0, 0.5)
    flux = np.linspace(1.0, 2.0, wave.size)
    err = np.full(wave.size, 0.1)
    qual = np.zeros(wave.size, int)
    f, e, q = rebin(wave, flux, err, qual, wave)
    np.testing.assert_array_equal(f, flux)
    coarse = np.arange(100.25, 109.5, 1.0)  # each output pixel = two input pixels
    f, e, q = rebin(wave, flux, err, qual, coarse)
    np.testing.assert_allclose(f, 0.5 * (flux[:-1:2] + flux[1::2])[: coarse.size])
    np.testing.assert_allclose(e, 0.1 / np.sqrt(2))
    assert not q.any()


def test_rebin_outside_coverage_is_no_data():
    wave = np.arange(10.0)
    new = np.array([4.0, 5.0, 6.0, 30.0])  # last pixel spans 18-42: beyond the input
    f, e, q = rebin(wave, np.ones(10), np.ones(10), np.zeros(10, int), new)
    np.testing.assert_allclose(f[:2], 1.0)
    assert np.isnan(f[3]) and q[3] == QualityFlag.NO_DATA


def test_rebin_ors_quality_of_touched_pixels():
    wave = np.arange(10.0)
    qual = np.zeros(10, int)
    qual[4] = QualityFlag.BAD_PIXEL
    f, e, q = rebin(wave, np.ones(10), np.ones(10), qual, np.array([1.5, 4.5, 7.5]))
    assert list(q) == [0, QualityFlag.BAD_PIXEL, 0]


def test_common_grid():
    blue = np.arange(350.0, 850.01, 0.02)
    red = np.arange(800.0, 2000.01, 0.06)
    grid = common_grid(blue, red)
    assert np.all(np.diff(grid) > 0)
    assert grid[0] == 350.0 and grid[-1] == red[-1]
    np.testing.assert_array_equal(grid[grid >= 800.0], red)  # NIR pixels in the overlap


def test_merge_arms_overlap_is_weighted(spectrum_factory):
    # Same grid in the overlap so the expected weighted mean is exact.
    wave_b = np.arange(780.0, 860.0, 0.5)
    wave_r = np.arange(800.0, 900.0, 0.5)
    blue = spectrum_factory(n=wave_b.size, wave=wave_b, flux=np.full(wave_b.size, 1.0, "f4"),
                            err=np.full(wave_b.size, 1.0, "f4"))
    red = spectrum_factory(n=wave_r.size, wave=wave_r, flux=np.full(wave_r.size, 4.0, "f4"),
                           err=np.full(wave_r.size, 0.5, "f4"), arm="NIR",
                           prov=["SOXS.2026-01-11T02:24:00.500.fits"], obids=[3000001])
    merged = merge_arms(blue, red)
    assert merged.arm == "MERGED"
    assert merged.ncombine == 2 and len(merged.prov) == 2 and merged.obids == [3000001]
    overlap = (merged.wave >= 800.0) & (merged.wave < 860.0 - 0.5)
    np.testing.assert_allclose(merged.flux[overlap], (1 * 1 + 4 * 4) / 5.0, rtol=1e-6)
    np.testing.assert_allclose(merged.err[overlap], 5.0 ** -0.5, rtol=1e-6)
    np.testing.assert_allclose(merged.flux[merged.wave < 799.0], 1.0)
    np.testing.assert_allclose(merged.flux[merged.wave > 861.0], 4.0)
    assert merged.flux.dtype == np.float32
