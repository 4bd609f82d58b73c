"""Small valid Phase 3 products for the pipeline tests (spectrum, image, 2D spectrum)."""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from soxsvo.phase3.spectrum import AssociatedFile, Phase3Spectrum


def make_spectrum(n: int = 401, seed: int = 0, **overrides) -> Phase3Spectrum:
    """A short, valid UV-VIS spectrum (500-540 nm) with known arrays."""
    rng = np.random.default_rng(seed)
    wave = 500.0 + 0.1 * np.arange(n)
    err = np.full(n, 1e-17, dtype=np.float32)
    flux = (1e-16 + 1e-17 * rng.standard_normal(n)).astype(np.float32)
    fields = dict(
        wave=wave, flux=flux, err=err, qual=np.zeros(n, dtype=np.int16),
        object="SN 2026abc", ra=150.25, dec=-30.5, arm="UVVIS",
        mjd_obs=61000.10, mjd_end=61000.125, exptime=1800.0, texptime=1800.0,
        ncombine=1, prog_id="116.28A1.001", obids=[3000001],
        prov=["SOXS.2026-01-11T02:24:00.000.fits"], fluxerr=10.0,
        assoc=[AssociatedFile("SN2026abc_UVVIS_2D.fits", "ANCILLARY.2DSPECTRUM", "0" * 32)],
    )
    fields.update(overrides)
    return Phase3Spectrum(**fields)


def image_hdulist() -> fits.HDUList:
    """A valid SCIENCE.IMAGE of the acquisition camera."""
    data = np.random.default_rng(1).normal(100.0, 5.0, (64, 64)).astype(np.float32)
    h = fits.Header()
    for key, value in [
        ("PRODCATG", "SCIENCE.IMAGE"), ("ORIGIN", "ESO"), ("TELESCOP", "ESO-NTT"),
        ("INSTRUME", "SOXS"), ("OBJECT", "SN 2026abc"), ("RA", 150.25), ("DEC", -30.5),
        ("RADESYS", "ICRS"), ("EXPTIME", 60.0), ("TEXPTIME", 60.0), ("MJD-OBS", 61000.09),
        ("MJD-END", 61000.0908), ("FILTER", "r"), ("PROG_ID", "116.28A1.001"),
        ("OBID1", 3000001), ("M_EPOCH", False), ("SINGLEXP", True), ("NCOMBINE", 1),
        ("OBSTECH", "IMAGE"), ("FLUXCAL", "ABSOLUTE"), ("PROCSOFT", "soxsvo/0.1"),
        ("REFERENC", ""), ("PROV1", "SOXS.2026-01-11T02:09:36.000.fits"), ("BUNIT", "adu"),
        ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CUNIT1", "deg"), ("CUNIT2", "deg"),
        ("CRVAL1", 150.25), ("CRVAL2", -30.5), ("CRPIX1", 32.5), ("CRPIX2", 32.5),
        ("CD1_1", -5.694e-5), ("CD1_2", 0.0), ("CD2_1", 0.0), ("CD2_2", 5.694e-5),
        ("CRDER1", 1e-5), ("CRDER2", 1e-5), ("CSYER1", 2e-5), ("CSYER2", 2e-5),
        ("PHOTZP", 25.1), ("PHOTZPER", 0.03), ("PHOTSYS", "AB"), ("ABMAGLIM", 21.2),
        ("ABMAGSAT", 13.5), ("PSF_FWHM", 1.1), ("ELLIPTIC", 0.08), ("PRODLVL", 2),
    ]:
        h[key] = value
    return fits.HDUList([fits.PrimaryHDU(data=data, header=h)])


def twod_hdulist() -> fits.HDUList:
    """A minimal valid ANCILLARY.2DSPECTRUM."""
    h = fits.Header()
    for key, value in [("PRODCATG", "ANCILLARY.2DSPECTRUM"), ("ORIGIN", "ESO"),
                       ("TELESCOP", "ESO-NTT"), ("INSTRUME", "SOXS"), ("CTYPE1", "WAVE"),
                       ("CUNIT1", "nm"), ("CTYPE2", "PIXEL")]:
        h[key] = value
    return fits.HDUList([fits.PrimaryHDU(data=np.ones((20, 300), np.float32), header=h)])
