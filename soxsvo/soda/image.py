"""SODA cutouts of images (the acquisition camera's, any image product) by sky region.

SODA 1.0 section 3.3: ``POS`` (``CIRCLE ra dec r``, ``RANGE ra1 ra2 dec1 dec2``, ``POLYGON
ra1 dec1 ...``), ``CIRCLE`` and ``POLYGON`` in degrees (ICRS). The cutout is the smallest
pixel box of the image holding the region's part on the image (astropy's ``Cutout2D``), with
its WCS moved accordingly and the product's header kept otherwise, written with checksums.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS

from soxsvo.errors import InputError

__all__ = ["Region", "cut_image", "parse_region"]

#: Points drawn on a circle's edge to find its pixel box (enough for a box within a pixel).
CIRCLE_POINTS = 72
SPATIAL = ("POS", "CIRCLE", "POLYGON")


@dataclass(frozen=True)
class Region:
    """Sky points (degrees) whose pixel box is the cutout; ``text`` as the caller sent it."""

    ra: np.ndarray
    dec: np.ndarray
    text: str


def _numbers(name: str, text: str, count: int | None = None) -> list[float]:
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise InputError(f"UsageFault: {name}={text!r}: numbers (degrees) expected") from None
    if count is not None and len(values) != count or not all(np.isfinite(values)):
        raise InputError(f"UsageFault: {name}={text!r}: {count or 'an even number of'} "
                         "finite numbers expected")
    return values


def _circle(name: str, text: str) -> Region:
    ra, dec, radius = _numbers(name, text, 3)
    if not -90 <= dec <= 90 or not 0 < radius <= 10:
        raise InputError(f"UsageFault: {name}={text!r}: dec in -90..90, radius in (0, 10] deg")
    angle = np.linspace(0, 2 * np.pi, CIRCLE_POINTS, endpoint=False)
    # Edge points along great circles from the centre (position angle ``angle``).
    d, r0, d0 = np.radians(radius), np.radians(ra), np.radians(dec)
    sin_dec = np.sin(d0) * np.cos(d) + np.cos(d0) * np.sin(d) * np.cos(angle)
    dec_pts = np.arcsin(np.clip(sin_dec, -1, 1))
    ra_pts = r0 + np.arctan2(np.sin(angle) * np.sin(d) * np.cos(d0),
                             np.cos(d) - np.sin(d0) * sin_dec)
    return Region(np.degrees(ra_pts) % 360, np.degrees(dec_pts), text)


def _polygon(name: str, text: str) -> Region:
    values = _numbers(name, text)
    if len(values) < 6 or len(values) % 2:
        raise InputError(f"UsageFault: {name}={text!r}: at least 3 vertices (ra dec pairs)")
    ra, dec = np.array(values[0::2]) % 360, np.array(values[1::2])
    if np.any(np.abs(dec) > 90):
        raise InputError(f"UsageFault: {name}={text!r}: dec in -90..90")
    return Region(ra, dec, text)


def _range(name: str, text: str) -> Region:
    ra1, ra2, dec1, dec2 = _numbers(name, text, 4)
    if not (-90 <= dec1 <= dec2 <= 90 and ra1 <= ra2):
        raise InputError(f"UsageFault: {name}={text!r}: ra1 <= ra2, -90 <= dec1 <= dec2 <= 90")
    ra = np.linspace(ra1, ra2, 9)
    dec = np.linspace(dec1, dec2, 9)
    grid_ra, grid_dec = np.meshgrid(ra, dec)
    return Region(grid_ra.ravel() % 360, grid_dec.ravel(), text)


def parse_region(params) -> Region:
    """The one spatial region of a SODA request (``POS``, ``CIRCLE`` or ``POLYGON``)."""
    given = [(name, value) for name in SPATIAL for value in params.getall(name)]
    if len(given) != 1:
        raise InputError("UsageFault: an image is cut by exactly one POS, CIRCLE or POLYGON "
                         f"(degrees, ICRS); got {len(given)}")
    name, text = given[0]
    if name == "CIRCLE":
        return _circle(name, text)
    if name == "POLYGON":
        return _polygon(name, text)
    shape, _, rest = text.strip().partition(" ")
    parsers = {"CIRCLE": _circle, "POLYGON": _polygon, "RANGE": _range}
    if shape.upper() not in parsers:
        raise InputError(f"UsageFault: POS={text!r}: CIRCLE, RANGE or POLYGON expected")
    return parsers[shape.upper()]("POS", rest)


def _image_hdu(hdul: fits.HDUList) -> int:
    for index, hdu in enumerate(hdul):
        if hdu.is_image and hdu.data is not None and hdu.data.ndim == 2:
            return index
    raise InputError("UsageFault: the product holds no two-dimensional image")


def cut_image(path: str, region: Region) -> bytes:
    """The FITS file of the pixels of ``path``'s image that ``region`` covers.

    Raises
    ------
    InputError
        The region does not overlap the image (``NoOverlap``), or the product has no image.
    """
    with fits.open(path, memmap=True) as hdul:
        index = _image_hdu(hdul)
        hdu = hdul[index]
        wcs = WCS(hdu.header)
        x, y = wcs.world_to_pixel_values(region.ra, region.dec)
        ny, nx = hdu.data.shape
        x0, x1 = max(np.floor(np.min(x)), -0.5), min(np.ceil(np.max(x)), nx - 0.5)
        y0, y1 = max(np.floor(np.min(y)), -0.5), min(np.ceil(np.max(y)), ny - 0.5)
        if not (np.all(np.isfinite([x0, x1, y0, y1])) and x1 > x0 and y1 > y0):
            raise InputError(f"NoOverlap: {region.text!r} does not overlap the image")
        size = (int(y1 - y0) + 1, int(x1 - x0) + 1)
        cut = Cutout2D(hdu.data, ((x0 + x1) / 2, (y0 + y1) / 2), size, wcs=wcs, mode="trim")
        header = hdu.header.copy()
        # The new WCS replaces the old one whole: a CD matrix left beside its PC would be two.
        for key in [k for k in header if k.startswith(("CD1_", "CD2_", "PC1_", "PC2_",
                                                       "CDELT", "CRPIX"))]:
            del header[key]
        header.update(cut.wcs.to_header())
        header["HISTORY"] = f"SODA cutout of pixels x {cut.xmin_original}-{cut.xmax_original}, " \
                            f"y {cut.ymin_original}-{cut.ymax_original} (0-based)"
        out = fits.HDUList([fits.PrimaryHDU(data=cut.data, header=header)] if index == 0 else
                           [fits.PrimaryHDU(header=hdul[0].header.copy()),
                            fits.ImageHDU(data=cut.data, header=header)])
        buffer = io.BytesIO()
        out.writeto(buffer, checksum=True)
    return buffer.getvalue()
