"""Rules of images (``P3-IMG-*``, acquisition camera) and 2D spectra (``P3-ANC-*``).

ESO-044286 §4 (images) adds to the shared keywords of :mod:`.common_rules` the filter,
pixel unit, celestial WCS with its errors, and photometric characterisation. SOXS's
2D spectra (``ANCILLARY.2DSPECTRUM``) only travel beside a 1D spectrum, so they are checked
minimally: an identifiable ESO file with a two-dimensional array.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import numpy as np
from astropy.wcs import WCS

from soxsvo.phase3.context import ProductContext
from soxsvo.phase3.keywords import has_type, keyword_rule
from soxsvo.phase3.rules import Rule, Violation, rule

IMG = ("SCIENCE.IMAGE",)
ANC = ("ANCILLARY.2DSPECTRUM",)
STD = "ESO-044286 §4 (images)"
#: Filters of the SOXS acquisition camera (``ESO INS ACFW ID``): LSST ugrizy and Johnson V.
ACQ_FILTERS = ("u", "g", "r", "i", "z", "y", "V")

keyword_rule("P3-IMG-001", "FILTER", IMG, "str",
             f"{STD}: FILTER, the filter of the raw data; SOXS's acquisition camera has "
             "LSST u g r i z y and V.", values=ACQ_FILTERS)
keyword_rule("P3-IMG-002", "BUNIT", IMG, "str",
             f"{STD}: BUNIT, the physical unit of the pixel values (e.g. 'adu', 'adu/s').",
             predicate=lambda v: bool(v), expected="a unit, e.g. 'adu'")
keyword_rule("P3-IMG-006", "PHOTZP", IMG, "float",
             f"{STD}: PHOTZP, the photometric zero point: mag = -2.5 log10(data) + PHOTZP.",
             predicate=lambda v: 0 < v < 50, expected="0 < PHOTZP < 50 mag")
keyword_rule("P3-IMG-007", "PHOTZPER", IMG, "float",
             f"{STD}: PHOTZPER, the uncertainty of PHOTZP in mag.",
             predicate=lambda v: v >= 0, expected=">= 0 mag")
keyword_rule("P3-IMG-008", "PHOTSYS", IMG, "str",
             f"{STD}: PHOTSYS, the photometric system of PHOTZP, 'AB' or 'VEGA'.",
             values=("AB", "VEGA"))
keyword_rule("P3-IMG-009", "ABMAGLIM", IMG, "float",
             f"{STD}: ABMAGLIM, the 5-sigma limiting AB magnitude for point sources.",
             predicate=lambda v: 0 < v < 40, expected="0 < ABMAGLIM < 40 mag")
keyword_rule("P3-IMG-010", "ABMAGSAT", IMG, "float",
             f"{STD}: ABMAGSAT, the AB magnitude at which point sources saturate.",
             predicate=lambda v: 0 < v < 40, expected="0 < ABMAGSAT < 40 mag")
keyword_rule("P3-IMG-011", "PSF_FWHM", IMG, "float",
             f"{STD}: PSF_FWHM [arcsec], the effective spatial resolution.",
             predicate=lambda v: v > 0, expected="> 0 arcsec")
keyword_rule("P3-IMG-012", "ELLIPTIC", IMG, "float",
             f"{STD}: ELLIPTIC, the average ellipticity of point sources, 0-1.",
             predicate=lambda v: 0 <= v <= 1, expected="0 <= ELLIPTIC <= 1")

_WCS_KEYS = ("CTYPE1", "CTYPE2", "CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2",
             "CD1_1", "CD1_2", "CD2_1", "CD2_2")


@rule("P3-IMG-003", "the primary HDU holds a 2D image with data", IMG, keyword="NAXIS")
def image_data(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: a single image is stored in the primary HDU (``NAXIS = 2``) and
    contains finite pixel values."""
    naxis = ctx.primary.get("NAXIS")
    if naxis != 2:
        yield r.violation("primary HDU is not a 2D image", found=naxis, expected=2)
        return
    data = ctx.image_data
    if data is None or data.size == 0 or not np.isfinite(data).any():
        yield r.violation("image has no finite pixel", expected="finite pixel values")


@rule("P3-IMG-004", "a complete celestial WCS with a CD matrix", IMG, keyword="CDi_j")
def celestial_wcs(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: images carry a celestial WCS given by CTYPEi, CRVALi, CRPIXi and the
    CDi_j matrix (not CDELTi/PCi_j alone); it must parse as a celestial WCS."""
    hdr = ctx.primary
    missing = [k for k in _WCS_KEYS if k not in hdr]
    for key in missing:
        yield r.violation("WCS keyword missing", keyword=key, expected="present")
    if missing:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wcs = WCS(ctx.fits_header("primary"), naxis=2)
            celestial = wcs.has_celestial
        except Exception as exc:  # noqa: BLE001 - astropy.wcs raises many kinds
            yield r.violation(f"WCS does not parse: {exc}")
            return
    if not celestial:
        yield r.violation("WCS is not celestial", keyword="CTYPE1",
                          found=[hdr["CTYPE1"], hdr["CTYPE2"]],
                          expected="e.g. ['RA---TAN', 'DEC--TAN']")
    det = float(hdr["CD1_1"]) * float(hdr["CD2_2"]) - float(hdr["CD1_2"]) * float(hdr["CD2_1"])
    if det == 0:
        yield r.violation("singular CD matrix", keyword="CD1_1", found=0.0,
                          expected="non-zero determinant")


@rule("P3-IMG-005", "CUNITi = 'deg'", IMG, keyword="CUNITi")
def wcs_units(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: the units of the celestial axes are given explicitly,
    ``CUNIT1 = CUNIT2 = 'deg'``."""
    for key in ("CUNIT1", "CUNIT2"):
        value = ctx.value("primary", key)
        if value is None:
            yield r.violation("missing", keyword=key, expected="'deg'")
        elif str(value).strip() != "deg":
            yield r.violation("wrong unit", keyword=key, found=value, expected="'deg'")


def _axis_errors(r: Rule, ctx: ProductContext, prefix: str) -> Iterator[Violation]:
    for key in (f"{prefix}1", f"{prefix}2"):
        value = ctx.value("primary", key)
        if value is None:
            yield r.violation("mandatory keyword is missing", keyword=key, expected="deg >= 0")
        elif not has_type(value, "float") or value < 0:
            yield r.violation("must be a non-negative real", keyword=key, found=value,
                              expected="deg >= 0")


@rule("P3-IMG-013", "CRDER1/CRDER2: random astrometric error", IMG, keyword="CRDERi")
def random_wcs_error(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: CRDERi [deg], random error of the astrometric solution per axis."""
    yield from _axis_errors(r, ctx, "CRDER")


@rule("P3-IMG-014", "CSYER1/CSYER2: systematic astrometric error", IMG, keyword="CSYERi")
def systematic_wcs_error(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: CSYERi [deg], systematic error of the astrometric solution (e.g.
    of the reference catalogue) per axis."""
    yield from _axis_errors(r, ctx, "CSYER")


@rule("P3-IMG-015", "saturation brighter than the limiting magnitude", IMG, keyword="ABMAGSAT")
def magnitude_range(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4: ABMAGSAT (saturation) is brighter, i.e. numerically smaller, than
    ABMAGLIM (5-sigma limit); otherwise the image has no usable dynamic range."""
    sat, lim = ctx.value("primary", "ABMAGSAT"), ctx.value("primary", "ABMAGLIM")
    if has_type(sat, "float") and has_type(lim, "float") and not sat < lim:
        yield r.violation("not brighter than ABMAGLIM", found=sat, expected=f"< {lim}")


@rule("P3-IMG-016", "no spectrum keywords in an image", IMG, keyword="WAVELMIN", hdu="file")
def no_spectrum_keywords(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §4/§5: spectral-coverage and spectrum-table keywords (WAVELMIN,
    WAVELMAX, SPEC_BIN, SPEC_RES, NELEM, VOCLASS) describe 1D spectra and point to a
    wrong PRODCATG when found in an image."""
    for key in ("WAVELMIN", "WAVELMAX", "SPEC_BIN", "SPEC_RES", "NELEM", "VOCLASS"):
        if key in ctx.primary:
            yield r.violation("spectrum keyword in an image", keyword=key,
                              found=ctx.primary[key], expected="absent")


@rule("P3-ANC-001", "a 2D spectrum holds a two-dimensional array", ANC, keyword="NAXIS",
      hdu="file")
def two_d_array(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §2.4 (ancillary files): an ``ANCILLARY.2DSPECTRUM`` is the rectified
    2D spectrum (wavelength x slit position) as an image in the primary HDU or the first
    image extension."""
    data = ctx.image_data
    if data is None or data.ndim != 2:
        yield r.violation("no 2D image found", found=None if data is None else data.shape,
                          expected="an image with NAXIS = 2")


@rule("P3-ANC-002", "a 2D spectrum names its spectral axis", ANC, keyword="CTYPE1", hdu="file")
def spectral_axis(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §2.4 and FITS WCS paper III: the wavelength axis of a 2D spectrum is
    described by a spectral ``CTYPEi`` (``WAVE`` or ``AWAV``), so viewers can label it."""
    for header in ctx.hdu_headers():
        if header.get("NAXIS") == 2:
            types = [str(header.get(f"CTYPE{i}", "")).strip() for i in (1, 2)]
            if not any(re.match(r"^(WAVE|AWAV)", t) for t in types):
                yield r.violation("no spectral axis among CTYPE1/CTYPE2", found=types,
                                  expected="'WAVE' or 'AWAV' on one axis")
            return
