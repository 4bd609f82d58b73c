"""Draw a spectrum preview: flux and error against wavelength, telluric bands shaded.

Uses matplotlib's object API on an Agg canvas (no pyplot state), so that web worker threads
can draw at the same time.
"""

from __future__ import annotations

import io
import math
import warnings

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.time import Time
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Bump when the look of previews changes: cached PNGs of an older version are redrawn.
PREVIEW_VERSION = 2

#: Strong telluric absorption in the SOXS range (nm, vacuum): O2 B and A bands and the H2O
#: bands between the near-infrared windows.
TELLURIC_BANDS_NM = ((686.0, 695.0), (716.0, 734.0), (759.0, 771.0), (810.0, 835.0),
                     (895.0, 985.0), (1105.0, 1165.0), (1320.0, 1500.0), (1785.0, 1965.0))

_ARM_LABEL = {"UVVIS": "UV-VIS", "NIR": "NIR", "MERGED": "UV-VIS+NIR"}


def _columns(path: str) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # odd cards are the validator's business, not ours
        with fits.open(path, memmap=False) as hdus:
            header = dict(hdus[0].header)
            row = hdus[1].data[0]
            names = {name.upper(): name for name in hdus[1].columns.names}
            header["FLUX_UNIT"] = hdus[1].columns[names["FLUX"]].unit if "FLUX" in names else ""

            def column(name: str) -> np.ndarray:
                if name not in names:
                    return np.full(np.size(row[names["WAVE"]]), np.nan)
                return np.asarray(row[names[name]], dtype=np.float64).ravel()

            return header, column("WAVE"), column("FLUX"), column("ERR"), column("QUAL")


def _unit_label(text: str | None) -> str:
    """A FITS unit string as people write it (``erg / (Angstrom s cm2)``)."""
    if not text:
        return "erg / (Angstrom s cm2)"
    try:
        return u.Unit(text, format="fits", parse_strict="silent").to_string()
    except ValueError:
        return text


def _title(header: dict) -> str:
    target = str(header.get("OBJECT", "?"))
    mjd = header.get("MJD-OBS")
    date = Time(float(mjd), format="mjd").isot[:16].replace("T", " ") if mjd else "?"
    arm = _ARM_LABEL.get(str(header.get("ESO SEQ ARM", "")).upper(),
                         str(header.get("ESO SEQ ARM", "?")))
    snr = header.get("SNR")
    snr_text = f"{float(snr):.1f}" if isinstance(snr, int | float) and math.isfinite(snr) else "?"
    return f"{target}  {date} UTC  {arm}  S/N {snr_text}"


def render_preview(path: str, width: int = 900, height: int = 500) -> bytes:
    """The PNG preview of the Phase 3 spectrum at ``path``.

    Parameters
    ----------
    path : str
        A Phase 3 1D spectrum (``WAVE``, ``FLUX``, ``ERR``, ``QUAL`` in a one-row table).
    width, height : int
        Size of the image in pixels.

    Returns
    -------
    bytes
        PNG image of exactly ``width`` x ``height`` pixels.
    """
    header, wave, flux, err, qual = _columns(path)
    bad = ~np.isfinite(flux) | (np.nan_to_num(qual) != 0)
    shown = np.where(bad, np.nan, flux)
    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(wave, shown, lw=0.6, color="#1f4e9a", label="flux")
    axes.plot(wave, err, lw=0.6, color="#d0542a", label="error")
    lo, hi = float(np.nanmin(wave)), float(np.nanmax(wave))
    for band_lo, band_hi in TELLURIC_BANDS_NM:
        if band_hi > lo and band_lo < hi:
            axes.axvspan(max(band_lo, lo), min(band_hi, hi), color="0.85", lw=0, zorder=0)
    axes.axvspan(0, 0, color="0.85", label="telluric bands")  # legend entry only
    good = shown[np.isfinite(shown)]
    if good.size:
        # Robust limits: a few cosmic-ray residuals must not flatten the spectrum.
        top = float(np.nanpercentile(good, 99.5))
        bottom = min(0.0, float(np.nanpercentile(good, 0.5)))
        axes.set_ylim(bottom, top * 1.15 if top > 0 else 1.0)
    axes.set_xlim(lo, hi)
    axes.set_xlabel("wavelength [nm]")
    axes.set_ylabel(f"flux [{_unit_label(header.get('FLUX_UNIT'))}]")
    axes.set_title(_title(header), fontsize=10)
    axes.legend(loc="upper right", fontsize=8, frameon=False)
    figure.subplots_adjust(left=0.1, right=0.98, top=0.92, bottom=0.11)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
