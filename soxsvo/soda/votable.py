"""A cutout in VOTable form: what SODA knows of the cut spectrum, given to the shared Spectrum
Data Model 2.0 writer (:mod:`soxsvo.formats.sdm`, the one SSA getData uses).

The writer's input is filled from the product record (:class:`~soxsvo.archive.products.Product`)
and the cut FITS, with the cut's own wavelength range, length and S/N. Facts the product record
does not hold (title, creation date, end of the observation, exposure, resolving power) are left
out rather than read back from FITS keywords; the position is the one exception (see
:func:`cutout_record`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from urllib.parse import urlencode

import numpy as np
from numpy.typing import ArrayLike

from soxsvo.archive.products import Product
from soxsvo.formats.sdm import SpectrumPixels, SpectrumRecord, sdm_votable
from soxsvo.soda.band import Band
from soxsvo.soda.cutout import Cutout

#: Phase 3 wavelengths are in nm, ObsCore's (and the record's) in metres.
_NM = 1e-9
VOTABLE_RESPONSEFORMAT = "application/x-votable+xml"


def _native(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values).ravel()
    return array.astype(array.dtype.newbyteorder("="))


def cutout_pixels(cutout: Cutout) -> SpectrumPixels:
    """The cut arrays, wavelengths in nm (the cut already converted them) and the file's
    ``FLUXCAL``."""
    primary, row = cutout.hdus[0].header, cutout.hdus[1].data[0]
    names = set(cutout.hdus[1].columns.names)
    # cut_spectrum needs FLUX and ERR; a missing QUAL means every pixel is good, as the
    # Phase 3 reader of SSA getData assumes.
    qual = _native(row["QUAL"]) if "QUAL" in names else np.zeros(cutout.wave_nm.size, np.int32)
    return SpectrumPixels(cutout.wave_nm, _native(row["FLUX"]), _native(row["ERR"]), qual,
                          str(primary.get("FLUXCAL", "ABSOLUTE")))


def _float(value: float | str | None) -> float | None:
    return None if value is None else float(value)


def cutout_record(product: Product, cutout: Cutout) -> SpectrumRecord:
    """The product's facts as they hold for the cut.

    The wavelength coverage and S/N are the cut's (``cut_spectrum`` recomputed ``SNR`` over
    the kept pixels), not the product's: they describe the pixels the document holds. The
    position is not in the product record; it comes from the archived ``RA``/``DEC`` the cut
    keeps, because the SODA VOTable gave it before it became SDM 2.0 and clients may use it.
    """
    primary = cutout.hdus[0].header
    return SpectrumRecord(
        pubdid=product.publisher_did, dp_id=product.dp_id, target=product.target_name,
        ra=_float(primary.get("RA")), dec=_float(primary.get("DEC")), t_min=product.t_min,
        em_min=float(cutout.wave_nm[0]) * _NM, em_max=float(cutout.wave_nm[-1]) * _NM,
        snr=_float(primary.get("SNR")))


def cutout_url(base_url: str, product: Product, band: Band) -> str:
    """The SODA request giving this cutout as a VOTable again (``spec2:Access.Reference``)."""
    query = {"ID": product.publisher_did}
    if math.isfinite(band.lo) or math.isfinite(band.hi):
        query["BAND"] = f"{band.lo!r} {band.hi!r}"
    query["RESPONSEFORMAT"] = VOTABLE_RESPONSEFORMAT
    return f"{base_url}/soda/sync?{urlencode(query)}"


def cutout_votable(product: Product, cutout: Cutout, acref: str | None = None) -> Iterator[bytes]:
    """The cutout as an SDM 2.0 VOTable (BINARY2), one row per kept pixel.

    Parameters
    ----------
    product : Product
        The archived spectrum that was cut.
    cutout : Cutout
        The cut, as :func:`soxsvo.soda.cutout.cut_spectrum` made it.
    acref : str, optional
        URL of this cutout (see :func:`cutout_url`).
    """
    return sdm_votable(cutout_record(product, cutout), cutout_pixels(cutout), acref=acref)
