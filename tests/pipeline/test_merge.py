"""Stitching UV-VIS and NIR: inverse-variance weights, common grid, overlap, rebinning."""

from __future__ import annotations

import numpy as np
import pytest

from soxsvo.phase3.spectrum import QualityFlag
from soxsvo.pipeline.merge import (
    combine_inverse_variance,
    common_grid,
    merge_arms,
    neighbour_correlation,
    rebin,
)


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


def soxspipe_like(rng, lo: float, hi: float, detector: float, step: float):
    """An arm as soxspipe resamples it: independent detector pixels (sigma 0.05 around the
    truth ``1 + (w - 800) / 200``) linearly interpolated onto a ``step`` grid, with the exact
    marginal error of each interpolated pixel. Returns (grid, flux, err)."""
    pixels = np.arange(lo - 1.0, hi + 1.0, detector) + rng.uniform(0, detector)
    sigma = 0.05
    values = 1.0 + (pixels - 800.0) / 200.0 + rng.normal(0.0, sigma, pixels.size)
    grid = np.arange(lo, hi, step)
    flux = np.interp(grid, pixels, values)
    t = (grid - pixels[np.searchsorted(pixels, grid) - 1]) / detector
    err = sigma * np.sqrt((1 - t) ** 2 + t**2)
    return grid, flux, err


def test_measured_correlation_of_interpolated_pixels():
    rng = np.random.default_rng(3)
    _, flux, err = soxspipe_like(rng, 700.0, 850.0, 0.03, 0.02)
    rho = neighbour_correlation(flux, err, np.zeros(flux.size, int))
    # Linear interpolation of 0.03 nm pixels onto 0.02 nm: lag-1 correlation ~0.5-0.6.
    assert 0.4 < rho[0] < 0.7 and abs(rho[2]) < 0.15
    assert not neighbour_correlation(np.ones(500), np.ones(500), np.zeros(500, int)).any()


def test_merged_overlap_agrees_with_the_truth_within_its_errors(spectrum_factory):
    """chi2 of (merged - truth) / err in 795-850 nm is ~1 over 20 synthetic observations;
    propagating the UV-VIS pixels as independent would give errors ~20 % too small."""
    rng = np.random.default_rng(11)
    chi2, chi2_independent, pulls = [], [], []
    for _ in range(20):
        arms = {}
        for arm, lo, hi, detector, step in (("UVVIS", 700.0, 850.0, 0.03, 0.02),
                                            ("NIR", 800.0, 1000.0, 0.09, 0.06)):
            wave, flux, err = soxspipe_like(rng, lo, hi, detector, step)
            arms[arm] = spectrum_factory(n=wave.size, wave=wave, flux=flux, err=err, arm=arm)
        merged = merge_arms(arms["UVVIS"], arms["NIR"])
        window = (merged.wave >= 795.0) & (merged.wave <= 850.0) & (merged.qual == 0)
        truth = 1.0 + (merged.wave[window] - 800.0) / 200.0
        pull = (merged.flux[window] - truth) / merged.err[window]
        pulls.append(pull.mean())
        chi2.append(np.mean(pull**2))
        parts = [rebin(a.wave, a.flux, a.err, a.qual, merged.wave) for a in arms.values()]
        flux, err, _ = combine_inverse_variance(*zip(*parts, strict=True))
        chi2_independent.append(np.mean(((flux[window] - truth) / err[window]) ** 2))
    assert 0.9 < np.mean(chi2) < 1.1
    assert abs(np.mean(pulls)) < 0.1
    assert np.mean(chi2_independent) > 1.2
