"""Synthetic calibrated images of the acquisition camera, as Phase 3 ``SCIENCE.IMAGE`` files.

The camera (Andor 1024², 0.205″/px, 3.5′ field) is simulated binned 2×2: 512² pixels of
0.41″, north up and east left, a sky background with noise, field stars and the target at the
centre, so that a HiPS built from them shows something recognisable at the right place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

PIXEL_SCALE_DEG = 0.41 / 3600.0
SIZE = 512


def _star(image: np.ndarray, x: float, y: float, flux: float, sigma: float) -> None:
    yy, xx = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    image += flux / (2 * np.pi * sigma**2) * np.exp(-((xx - x) ** 2 + (yy - y) ** 2)
                                                   / (2 * sigma**2))


def acquisition_image(rng: np.random.Generator, *, target: str, ra: float, dec: float,
                      mjd_obs: float, prog_id: str, obid: int, arcfile: str,
                      band: str = "r", size: int = SIZE) -> fits.HDUList:
    """A valid Phase 3 image of ``target`` centred on (ra, dec).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the noise and the field stars.
    target, ra, dec : str, float, float
        Target name and position (deg, ICRS) at the image centre.
    mjd_obs : float
        Start of the 30 s exposure.
    prog_id, obid, arcfile : str, int, str
        Programme, observation block and the raw frame it was made from (``PROV1``).
    band : str
        Camera filter (u g r i z y V).
    size : int
        Pixels per side.
    """
    sigma = 1.0 / 0.41 / 2.355  # 1″ seeing
    data = rng.normal(100.0, 5.0, (size, size))
    for _ in range(12):
        _star(data, rng.uniform(10, size - 10), rng.uniform(10, size - 10),
              rng.uniform(2e3, 5e4), sigma)
    centre = (size - 1) / 2
    _star(data, centre, centre, 8e4, sigma)
    header = fits.Header()
    for key, value in [
        ("PRODCATG", "SCIENCE.IMAGE"), ("ORIGIN", "ESO"), ("TELESCOP", "ESO-NTT"),
        ("INSTRUME", "SOXS"), ("OBJECT", target), ("RA", ra), ("DEC", dec),
        ("RADESYS", "ICRS"), ("EXPTIME", 30.0), ("TEXPTIME", 30.0), ("MJD-OBS", mjd_obs),
        ("MJD-END", mjd_obs + 30.0 / 86400), ("FILTER", band), ("PROG_ID", prog_id),
        ("OBID1", obid), ("M_EPOCH", False), ("SINGLEXP", True), ("NCOMBINE", 1),
        ("OBSTECH", "IMAGE"), ("FLUXCAL", "ABSOLUTE"), ("PROCSOFT", "soxsvo-demo/0.1"),
        ("REFERENC", ""), ("PROV1", arcfile), ("BUNIT", "adu"),
        ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CUNIT1", "deg"), ("CUNIT2", "deg"),
        ("CRVAL1", ra), ("CRVAL2", dec), ("CRPIX1", centre + 1), ("CRPIX2", centre + 1),
        ("CD1_1", -PIXEL_SCALE_DEG), ("CD1_2", 0.0), ("CD2_1", 0.0),
        ("CD2_2", PIXEL_SCALE_DEG),
        ("CRDER1", 3e-5), ("CRDER2", 3e-5), ("CSYER1", 3e-5), ("CSYER2", 3e-5),
        ("PHOTZP", 25.1), ("PHOTZPER", 0.05), ("PHOTSYS", "AB"), ("ABMAGLIM", 21.0),
        ("ABMAGSAT", 13.5), ("PSF_FWHM", 1.0), ("ELLIPTIC", 0.05), ("PRODLVL", 2),
    ]:
        header[key] = value
    return fits.HDUList([fits.PrimaryHDU(data=data.astype(np.float32), header=header)])


def write_acquisition_image(hdul: fits.HDUList, path: Path) -> Path:
    """Write with FITS checksums (Phase 3 requires CHECKSUM/DATASUM)."""
    hdul.writeto(path, checksum=True, overwrite=True)
    return path
