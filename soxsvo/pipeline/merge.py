"""Stitch the UV-VIS and NIR spectra of one SOXS observation into a single spectrum.

soxspipe reduces each arm on its own linear grid (0.02 nm UV-VIS, 0.06 nm NIR) and does
not merge them. The packaging step does it here: both arms are rebinned, conserving flux,
onto one common grid and, where they overlap (~800-850 nm), combined with inverse-variance
weights, ignoring flagged pixels.

soxspipe resamples each arm from its detector pixels onto that grid by linear interpolation, so
neighbouring pixels of its spectra share noise (UV-VIS: lag-1 correlation about 0.6). Summing
them as independent would make the rebinned errors too small (~19 %) and pull the
inverse-variance merge toward UV-VIS; the correlation is therefore measured from each arm's
own spectrum (:func:`neighbour_correlation`) and propagated by :func:`rebin`.

Examples
--------
>>> merged = merge_arms(uvvis, nir)            # doctest: +SKIP
>>> wave, flux, err, qual = rebin(wave, flux, err, qual, new_wave)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np

from soxsvo.phase3.spectrum import Phase3Spectrum, QualityFlag

__all__ = ["bin_edges", "combine_inverse_variance", "common_grid", "merge_arms",
           "neighbour_correlation", "rebin"]

#: Largest pixel lag whose noise correlation is measured and propagated.
MAX_LAG = 3
#: Fewest usable pixel triples for a correlation estimate (fewer: pixels taken independent).
MIN_TRIPLES = 50


def bin_edges(wave: np.ndarray) -> np.ndarray:
    """Pixel edges (n + 1) of a monotonic grid of pixel centres: midpoints, ends mirrored."""
    wave = np.asarray(wave, dtype=np.float64)
    mid = 0.5 * (wave[1:] + wave[:-1])
    return np.concatenate(([2 * wave[0] - mid[0]], mid, [2 * wave[-1] - mid[-1]]))


def rebin(wave: np.ndarray, flux: np.ndarray, err: np.ndarray, qual: np.ndarray,
          new_wave: np.ndarray, correlation: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flux-conserving rebinning of a spectrum with exact error propagation.

    Each output pixel is the width-weighted mean of the input pixels it overlaps; its
    variance is ``sum_ij w_i w_j err_i err_j rho_|i-j|`` over those pixels (``w`` = overlap
    fraction x width / output width, ``rho_0 = 1``), with ``rho_k = correlation[k - 1]``
    (default: independent inputs, ``rho_k = 0``).

    Parameters
    ----------
    wave, flux, err, qual : ndarray
        Input pixel centres (increasing), flux density, 1-sigma error and quality bits.
    new_wave : ndarray
        Output pixel centres (increasing).
    correlation : ndarray, optional
        Noise correlation of input pixels 1, 2, ... apart (:func:`neighbour_correlation`).

    Returns
    -------
    flux, err, qual : ndarray
        On ``new_wave``; pixels not fully covered by the input get NaN and
        :attr:`QualityFlag.NO_DATA`; the quality of an output pixel is the OR of the inputs
        it overlaps.
    """
    wave = np.asarray(wave, dtype=np.float64)
    new_wave = np.asarray(new_wave, dtype=np.float64)
    if wave.shape == new_wave.shape and np.array_equal(wave, new_wave):
        return (np.asarray(flux, dtype=np.float64).copy(), np.asarray(err, dtype=np.float64).copy(),
                np.asarray(qual).astype(np.int32))
    e_in, e_out = bin_edges(wave), bin_edges(new_wave)
    width = np.diff(e_in)
    f = np.where(np.isfinite(flux), flux, 0.0).astype(np.float64)
    v = np.where(np.isfinite(err), np.asarray(err, dtype=np.float64) ** 2, 0.0)
    q = np.asarray(qual).astype(np.int32) | np.where(np.isfinite(flux), 0, QualityFlag.NO_DATA)
    n = wave.size
    inside = (e_out[:-1] >= e_in[0]) & (e_out[1:] <= e_in[-1])
    # Pixel index and fractional position of every output edge in the input grid.
    j = np.clip(np.searchsorted(e_in, e_out, side="right") - 1, 0, n - 1)
    t = np.clip((e_out - e_in[j]) / width[j], 0.0, 1.0)
    cum_f = np.concatenate(([0.0], np.cumsum(f * width)))
    cum_v = np.concatenate(([0.0], np.cumsum(v * width**2)))
    integral = cum_f[j] + t * f[j] * width[j]
    out_width = np.diff(e_out)
    new_flux = np.diff(integral) / out_width
    j1, j2, t1, t2 = j[:-1], j[1:], t[:-1], t[1:]
    same = j1 == j2
    var = np.where(
        same,
        ((t2 - t1) * width[j1]) ** 2 * v[j1],
        ((1 - t1) * width[j1]) ** 2 * v[j1] + (cum_v[j2] - cum_v[np.minimum(j1 + 1, n)])
        + (t2 * width[j2]) ** 2 * v[j2],
    )
    if correlation is not None and np.any(correlation):
        var = var + _covariance_terms(j, t, width, np.sqrt(v), correlation)
    var = var / out_width**2
    # OR of the quality of pixels j1..j2: reduceat over the edge indices gives j1..j2-1
    # (its last, open-ended segment is dropped), then j2 is added when actually touched.
    new_qual = np.bitwise_or.reduceat(q, j)[:-1]
    new_qual = new_qual | np.where(t2 > 0, q[j2], 0)
    new_flux = np.where(inside, new_flux, np.nan)
    new_err = np.where(inside, np.sqrt(var), np.nan)
    new_qual = np.where(inside, new_qual, QualityFlag.NO_DATA).astype(np.int32)
    return new_flux, new_err, new_qual


def _covariance_terms(j: np.ndarray, t: np.ndarray, width: np.ndarray, sigma: np.ndarray,
                      correlation: np.ndarray) -> np.ndarray:
    """``2 sum_k rho_k sum_i a_i a_(i+k)`` per output pixel (``a`` = overlap x width x sigma),
    over the input pixels ``j[b]..j[b+1]`` each output pixel ``b`` overlaps."""
    j1, j2, t1, t2 = j[:-1], j[1:], t[:-1], t[1:]
    count = j2 - j1 + 1
    out = np.repeat(np.arange(count.size), count)
    start = np.repeat(np.cumsum(count) - count, count)
    pixel = np.repeat(j1, count) + (np.arange(out.size) - start)
    fraction = np.ones(out.size)
    last = np.cumsum(count) - 1
    first = last - count + 1
    fraction[last] = t2
    fraction[first] = np.where(count == 1, t2 - t1, 1 - t1)
    a = fraction * width[pixel] * sigma[pixel]
    terms = np.zeros(count.size)
    for lag, rho in enumerate(correlation, 1):
        same = out[lag:] == out[:-lag]
        terms += 2.0 * rho * np.bincount(out[lag:][same], weights=(a[lag:] * a[:-lag])[same],
                                         minlength=count.size)
    return terms


def neighbour_correlation(flux: np.ndarray, err: np.ndarray, qual: np.ndarray,
                          max_lag: int = MAX_LAG) -> np.ndarray:
    """Noise correlation ``rho_1 .. rho_max_lag`` of pixels 1 .. max_lag apart, measured.

    From robust variances of the normalised second differences
    ``r_k = (f[i+k] - 2 f[i] + f[i-k]) / sqrt(e[i+k]^2 + 4 e[i]^2 + e[i-k]^2)``, insensitive
    to a locally linear spectrum: ``var(r_k) = c_0 - 4/3 c_k + 1/3 c_2k`` with ``c_k`` the
    noise covariance in units of ``err^2``. ``c_0`` comes from lag ``max_lag + 1`` (taken
    uncorrelated), then ``c_k`` from the largest lag down; ``rho_k = c_k / c_0``. Returns
    zeros when fewer than :data:`MIN_TRIPLES` pixel triples are usable.
    """
    f = np.asarray(flux, dtype=np.float64)
    e = np.asarray(err, dtype=np.float64)
    good = (np.asarray(qual) == 0) & np.isfinite(f) & np.isfinite(e) & (e > 0)
    variances = {}
    for k in range(1, max_lag + 2):
        if f.size <= 2 * k:
            return np.zeros(max_lag)
        ok = good[2 * k:] & good[k:-k] & good[:-2 * k]
        if ok.sum() < MIN_TRIPLES:
            return np.zeros(max_lag)
        lo, mid, hi = f[:-2 * k][ok], f[k:-k][ok], f[2 * k:][ok]
        norm = np.sqrt(e[:-2 * k][ok] ** 2 + 4 * e[k:-k][ok] ** 2 + e[2 * k:][ok] ** 2)
        r = (hi - 2 * mid + lo) / norm
        # MAD, not the variance: absorption lines and cosmics would dominate a variance.
        variances[k] = (1.4826 * np.median(np.abs(r - np.median(r)))) ** 2
    c = {0: variances[max_lag + 1]}
    if not np.isfinite(c[0]) or c[0] <= 0:  # noiseless (model) spectra: nothing to measure
        return np.zeros(max_lag)
    for k in range(max_lag, 0, -1):
        c[k] = 0.75 * (c[0] + c.get(2 * k, 0.0) / 3.0 - variances[k])
    return np.clip(np.array([c[k] / c[0] for k in range(1, max_lag + 1)]), -1.0, 1.0)


def combine_inverse_variance(fluxes: list[np.ndarray], errs: list[np.ndarray],
                             quals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-variance weighted mean of spectra already on one grid.

    A pixel enters the mean only if it is unflagged with a finite flux and a positive finite
    error. Where no spectrum has such a pixel, the plain mean of the finite ones is kept and
    the qualities are ORed, so nothing is silently dropped; a pixel with no data at all is
    NaN with :attr:`QualityFlag.NO_DATA`.

    Returns
    -------
    flux, err, qual : ndarray
        ``sum(w f) / sum(w)``, ``sum(w) ** -0.5`` with ``w = err ** -2``, and quality 0
        wherever at least one good pixel contributed.
    """
    f = np.vstack([np.asarray(x, dtype=np.float64) for x in fluxes])
    e = np.vstack([np.asarray(x, dtype=np.float64) for x in errs])
    q = np.vstack([np.asarray(x).astype(np.int32) for x in quals])
    good = (q == 0) & np.isfinite(f) & np.isfinite(e) & (e > 0)
    w = np.where(good, 1.0 / np.where(good, e, 1.0) ** 2, 0.0)
    wsum = w.sum(axis=0)
    any_good = wsum > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        flux = np.where(any_good, (w * np.where(good, f, 0.0)).sum(axis=0) / wsum, np.nan)
        err = np.where(any_good, 1.0 / np.sqrt(wsum), np.nan)
        # Fallback for pixels nobody measured well: mean of what is finite, errors in quadrature.
        finite = np.isfinite(f)
        count = finite.sum(axis=0)
        fb_flux = np.where(finite, f, 0.0).sum(axis=0) / count
        fb_err = np.sqrt(np.where(finite & np.isfinite(e), e**2, 0.0).sum(axis=0)) / count
    qual = np.bitwise_or.reduce(q, axis=0)
    flux = np.where(any_good, flux, fb_flux)
    err = np.where(any_good, err, fb_err)
    qual = np.where(any_good, 0, np.where(count > 0, qual, qual | QualityFlag.NO_DATA))
    return flux, err, qual.astype(np.int32)


def common_grid(blue_wave: np.ndarray, red_wave: np.ndarray) -> np.ndarray:
    """Merged grid: the blue arm's pixels up to the overlap, then the red arm's.

    In the overlap the coarser (NIR) pixels are kept, so the finer UV-VIS pixels are averaged
    down rather than the NIR ones interpolated up (which would invent correlated data).
    """
    blue_wave = np.asarray(blue_wave, dtype=np.float64)
    red_wave = np.asarray(red_wave, dtype=np.float64)
    start = bin_edges(red_wave)[0]
    return np.concatenate((blue_wave[bin_edges(blue_wave)[1:] <= start], red_wave))


def _overlap_correlation(arm: Phase3Spectrum, uvvis: Phase3Spectrum,
                         nir: Phase3Spectrum) -> np.ndarray:
    """Noise correlation of ``arm`` measured where the arms overlap (the only place it is
    rebinned onto coarser pixels), or over the whole arm if the overlap is too short."""
    inside = (arm.wave >= nir.wave[0]) & (arm.wave <= uvvis.wave[-1])
    rho = neighbour_correlation(arm.flux[inside], arm.err[inside], arm.qual[inside])
    return rho if np.any(rho) else neighbour_correlation(arm.flux, arm.err, arm.qual)


def merge_arms(uvvis: Phase3Spectrum, nir: Phase3Spectrum,
               *, grid: np.ndarray | None = None) -> Phase3Spectrum:
    """Merge the UV-VIS and NIR spectra of one observation into a ``MERGED`` product.

    Parameters
    ----------
    uvvis, nir : Phase3Spectrum
        The two arms, in the same flux units.
    grid : ndarray, optional
        Output pixel centres in nm; default :func:`common_grid`.

    Returns
    -------
    Phase3Spectrum
        ``arm='MERGED'``, float32 flux/error, provenance, OBs and exposure bookkeeping of both
        arms (``NCOMBINE`` and ``TEXPTIME`` are sums, ``EXPTIME`` the larger per-pixel time,
        ``SPEC_RES`` the lower resolving power).
    """
    if grid is None:
        grid = common_grid(uvvis.wave, nir.wave)
    grid = np.asarray(grid, dtype=np.float64)
    parts = [rebin(s.wave, s.flux, s.err, s.qual, grid, _overlap_correlation(s, uvvis, nir))
             for s in (uvvis, nir)]
    flux, err, qual = combine_inverse_variance(*zip(*parts, strict=True))
    snr = None
    if uvvis.snr is not None or nir.snr is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            snr = np.where(err > 0, flux / err, 0.0).astype(np.float32)
    res = [s.spec_res for s in (uvvis, nir) if s.spec_res is not None]
    return dataclasses.replace(
        uvvis,
        wave=grid,
        flux=flux.astype(np.float32),
        err=err.astype(np.float32),
        qual=qual.astype(uvvis.qual.dtype if uvvis.qual.dtype.itemsize >= 2 else np.int32),
        snr=snr,
        arm="MERGED",
        mjd_obs=min(uvvis.mjd_obs, nir.mjd_obs),
        mjd_end=max(uvvis.mjd_end, nir.mjd_end),
        exptime=max(uvvis.exptime, nir.exptime),
        texptime=uvvis.texptime + nir.texptime,
        ncombine=uvvis.ncombine + nir.ncombine,
        obids=list(dict.fromkeys(uvvis.obids + nir.obids)),
        prov=list(dict.fromkeys(uvvis.prov + nir.prov)),
        spec_res=min(res) if res else None,
        spec_bin=None,
        title=None,
        assoc=[],
        meta={},
    )
