"""ObsCore columns of a Phase 3 ``SCIENCE.IMAGE`` (the acquisition camera's calibrated images).

The spectrum mapping in :mod:`soxsvo.archive.obscore_map` reads wavelength keywords an image
does not have; an image's spatial coverage comes from its WCS and its spectral coverage from its
filter. Everything else (identifiers, times, release) is shared with spectra.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from astropy.wcs import WCS

#: Filters of the acquisition camera: (min, max) wavelength in nm (LSST ugrizy, Johnson V).
FILTER_BANDS_NM = {"u": (320.0, 400.0), "g": (400.0, 552.0), "r": (552.0, 691.0),
                   "i": (691.0, 818.0), "z": (818.0, 922.0), "y": (948.0, 1060.0),
                   "V": (480.0, 650.0)}


def image_wcs(primary) -> WCS:
    """The celestial WCS of an image's primary header."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-standard cards are the validator's business
        return WCS(primary, naxis=2)


def footprint(primary) -> tuple[float, float, float, list[float]]:
    """Centre (ra, dec), diagonal size (deg) and corner polygon (lon, lat, ...) of an image."""
    wcs = image_wcs(primary)
    nx, ny = int(primary["NAXIS1"]), int(primary["NAXIS2"])
    xs = np.array([-0.5, nx - 0.5, nx - 0.5, -0.5, (nx - 1) / 2])
    ys = np.array([-0.5, -0.5, ny - 0.5, ny - 0.5, (ny - 1) / 2])
    ra, dec = wcs.all_pix2world(xs, ys, 0)
    corners = [float(v) for pair in zip(np.mod(ra[:4], 360), dec[:4], strict=True)
               for v in pair]
    c_ra, c_dec = math.radians(ra[4]), math.radians(dec[4])
    size = max(math.degrees(math.acos(min(1.0, math.sin(c_dec) * math.sin(math.radians(d))
                                          + math.cos(c_dec) * math.cos(math.radians(d))
                                          * math.cos(c_ra - math.radians(r)))))
               for r, d in zip(ra[:4], dec[:4], strict=True)) * 2
    return float(ra[4] % 360), float(dec[4]), size, corners


def image_columns(headers) -> dict:
    """The ObsCore values that differ between an image and a spectrum."""
    primary = headers.primary
    ra, dec, size, polygon = footprint(primary)
    band = FILTER_BANDS_NM.get(str(headers.get("FILTER", "")).strip())
    scale = math.sqrt(abs(float(primary["CD1_1"]) * float(primary["CD2_2"])
                          - float(primary["CD1_2"]) * float(primary["CD2_1"]))) * 3600.0
    columns = {
        "dataproduct_type": "image",
        "dataproduct_subtype": "acquisition",
        "s_ra": ra, "s_dec": dec, "s_fov": size, "s_region": polygon,
        "s_resolution": headers.get("PSF_FWHM"),
        "s_xel1": int(primary["NAXIS1"]), "s_xel2": int(primary["NAXIS2"]),
        "s_pixel_scale": scale,
        "em_min": band[0] * 1e-9 if band else None,
        "em_max": band[1] * 1e-9 if band else None,
        "em_res_power": (band[0] + band[1]) / 2 / (band[1] - band[0]) if band else None,
        "em_resolution": None, "em_xel": 1,
        "o_ucd": "phot.count", "o_unit": headers.get("BUNIT"),
        "abmaglim": headers.get("ABMAGLIM"), "filter": headers.get("FILTER"),
        "snr": None,
    }
    return columns
