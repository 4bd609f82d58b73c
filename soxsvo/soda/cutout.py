"""Cut a Phase 3 1D spectrum to a wavelength band, keeping the Phase 3 layout.

The cutout is the archived product with every array column cut to the pixels inside the band;
all other header cards are kept, and those that describe the arrays (``NELEM``, ``WAVELMIN``,
``WAVELMAX``, ``TDMIN1``, ``TDMAX1``, ``SPEC_VAL``, ``SPEC_BW``, ``SPEC_BIN``, ``SNR``) are
recomputed, so that the result passes :func:`soxsvo.phase3.validate.validate_product` as the
original did. ``CHECKSUM``/``DATASUM`` are written anew.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.io import fits

from soxsvo.soda.band import Band

#: Phase 3 WAVELMIN/WAVELMAX/SPEC_BIN are in nm; BAND is in metres.
_NM = 1e-9


class EmptyCutoutError(ValueError):
    """The band does not overlap the spectrum (or keeps fewer than two pixels)."""


@dataclass(frozen=True)
class Cutout:
    """A cut spectrum as an HDU list, and what it kept."""

    hdus: fits.HDUList
    first: int
    stop: int
    wave_nm: np.ndarray

    def fits_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.hdus.writeto(buffer, checksum=True)
        return buffer.getvalue()


def _median_snr(flux: np.ndarray, err: np.ndarray, qual: np.ndarray | None) -> float:
    good = np.isfinite(flux) & np.isfinite(err) & (err > 0)
    if qual is not None:
        good &= qual == 0
    return float(np.median(flux[good] / err[good])) if good.any() else 0.0


def _wave_in_nm(table: fits.BinTableHDU) -> tuple[np.ndarray, float]:
    """The WAVE column in nm, and the factor from nm back to the column's own unit."""
    column = table.columns["WAVE"]
    try:
        to_nm = u.Unit(column.unit or "nm", format="fits").to(u.nm) if column.unit else 1.0
    except ValueError:
        to_nm = 1.0  # an unreadable unit: the validator only admits nm and Angstrom anyway
    wave = np.asarray(table.data[0]["WAVE"], dtype=np.float64).ravel()
    return wave * to_nm, 1.0 / to_nm


def _selection(wave_nm: np.ndarray, band: Band) -> slice:
    inside = np.flatnonzero((wave_nm * _NM >= band.lo) & (wave_nm * _NM <= band.hi))
    span = f"{wave_nm[0] * _NM:g}-{wave_nm[-1] * _NM:g} m"
    if inside.size == 0:
        raise EmptyCutoutError(f"BAND {band.describe()} does not overlap the spectrum, which "
                          f"covers {span}")
    if inside.size < 2:
        raise EmptyCutoutError(f"BAND {band.describe()} keeps only one pixel of the spectrum "
                          f"({span}); a cutout needs at least two")
    return slice(int(inside[0]), int(inside[-1]) + 1)


def _cut_table(table: fits.BinTableHDU, keep: slice) -> fits.BinTableHDU:
    row = table.data[0]
    columns = []
    for column in table.columns:
        values = np.asarray(row[column.name]).ravel()[keep]
        columns.append(fits.Column(name=column.name, format=f"{values.size}{column.format.format}",
                                   unit=column.unit, array=values.reshape(1, values.size)))
    cut = fits.BinTableHDU.from_columns(columns)
    structural = set(cut.header.keys())
    for card in table.header.cards:
        if card.keyword in structural or card.keyword.startswith(("TFORM", "TTYPE", "TUNIT",
                                                                  "TDIM")):
            continue
        if card.keyword in ("CHECKSUM", "DATASUM"):
            continue
        cut.header.append(card)
    return cut


def cut_spectrum(path: str, band: Band) -> Cutout:
    """The part of the Phase 3 spectrum at ``path`` inside ``band``.

    Raises
    ------
    EmptyCutoutError
        When the band misses the spectrum, or keeps a single pixel.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # keep whatever cards the archived file has
        with fits.open(path, memmap=False) as original:
            primary = original[0].header.copy()
            table = original[1]
            wave_nm, from_nm = _wave_in_nm(table)
            keep = _selection(wave_nm, band)
            cut = _cut_table(table, keep)
    row = cut.data[0]
    wave_nm = wave_nm[keep]
    names = set(cut.columns.names)
    qual = np.asarray(row["QUAL"]) if "QUAL" in names else None
    _update(primary, cut.header, wave_nm, from_nm, _median_snr(
        np.asarray(row["FLUX"], dtype=np.float64), np.asarray(row["ERR"], dtype=np.float64),
        qual), band)
    for key in ("CHECKSUM", "DATASUM"):
        primary.remove(key, ignore_missing=True)
    hdus = fits.HDUList([fits.PrimaryHDU(header=primary), cut])
    return Cutout(hdus, keep.start, keep.stop, wave_nm)


def _update(primary: fits.Header, extension: fits.Header, wave_nm: np.ndarray, from_nm: float,
            snr: float, band: Band) -> None:
    lo, hi = float(wave_nm[0]), float(wave_nm[-1])
    primary["WAVELMIN"] = lo
    primary["WAVELMAX"] = hi
    if "SPEC_BIN" in primary:
        primary["SPEC_BIN"] = (hi - lo) / (wave_nm.size - 1)
    if "SNR" in primary:
        primary["SNR"] = snr
    extension["NELEM"] = wave_nm.size
    # TDMIN1/TDMAX1 are in the WAVE column's own unit.
    extension["TDMIN1"] = lo * from_nm
    extension["TDMAX1"] = hi * from_nm
    extension["SPEC_VAL"] = (lo + hi) / 2.0
    extension["SPEC_BW"] = hi - lo
    primary.add_history(f"SODA cutout: BAND {band.describe()} kept {wave_nm.size} pixels, "
                        f"{lo:.4f}-{hi:.4f} nm")
