"""Spectrum arrays for the object page's interactive plot, binned to a browser-friendly size.

The API finds the spectrum with :func:`soxsvo.archive.products.find_product` in the caller's
reader transaction (row-level security decides), then reads its file here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from soxsvo.phase3.spectrum import FLUX_UNIT, UNCALIBRATED_UNIT, read_phase3_spectrum

#: Most points sent to the browser per spectrum (bins averaged over good pixels).
MAX_POINTS = 3000


def bin_spectrum(wave: np.ndarray, flux: np.ndarray, good: np.ndarray,
                 max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Average good pixels in bins so that at most ``max_points`` remain (NaN: no good pixel)."""
    factor = max(1, int(np.ceil(wave.size / max_points)))
    usable = wave.size - wave.size % factor
    shape = (-1, factor)
    w = wave[:usable].reshape(shape).mean(axis=1)
    weights = good[:usable].reshape(shape).astype(float)
    sums = np.where(good[:usable], flux[:usable], 0.0).reshape(shape).sum(axis=1)
    counts = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(counts > 0, sums / counts, np.nan)
    return w, f


def spectrum_series(path: str) -> dict[str, Any]:
    """Wavelength (nm) and flux (binned) of an archived Phase 3 spectrum, JSON-ready."""
    spectrum = read_phase3_spectrum(path)
    good = (spectrum.qual == 0) & np.isfinite(spectrum.flux)
    wave, flux = bin_spectrum(np.asarray(spectrum.wave, float), np.asarray(spectrum.flux, float),
                              good)
    return {
        "arm": spectrum.arm,
        "wave_nm": [round(float(w), 4) for w in wave],
        "flux": [None if not np.isfinite(f) else float(f) for f in flux],
        "flux_unit": spectrum.flux_unit or (
            UNCALIBRATED_UNIT if spectrum.fluxcal.upper() == "UNCALIBRATED" else FLUX_UNIT),
    }
