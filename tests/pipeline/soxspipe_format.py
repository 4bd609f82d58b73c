"""soxspipe 0.17.4 output in its documented layout (raw frames, ``_EXTRACTED_MERGED``,
``_FLUXCAL``, ``_SKYSUB``), for the packaging tests and the fake reduction command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.time import Time

START = 61000.05
ARMS = {"VIS": (780.0, 850.0, 0.02, "SLIT1.0"), "NIR": (800.0, 900.0, 0.06, "SLIT1.5")}
RESPONSE = 3.0e-3  # FLUX_CALIBRATED / FLUX_DENSITY_COUNTS, times a slope below


def raw_header(arm: str, k: int) -> fits.Header:
    mjd = START + k * 700.0 / 86400.0 + (0.0 if arm == "VIS" else 1e-5)
    h = fits.Header()
    h["ARCFILE"] = "SOXS." + Time(mjd, format="mjd").isot[:23] + ".fits"
    for key, value in [("OBJECT", "SN 2026xyz"), ("RA", 150.25), ("DEC", -30.5),
                       ("MJD-OBS", mjd), ("EXPTIME", 600.0), ("ESO SEQ ARM", arm),
                       ("ESO DPR CATG", "SCIENCE"), ("ESO DPR TYPE", "OBJECT"),
                       ("ESO DPR TECH", "ECHELLE,SLIT,NODDING"), ("ESO OBS ID", 3000042),
                       ("ESO OBS PROG ID", "116.28A1.001"),
                       ("ESO OBS TARG NAME", "SN2026xyz"),
                       ("ESO INS VISE NAME" if arm == "VIS" else "ESO INS NISE NAME",
                        ARMS[arm][3]), ("ESO TEL AMBI FWHM START", 0.9)]:
        h[f"HIERARCH {key}" if " " in key else key] = value
    return h


def write_soxspipe(folder: Path, arm: str, *, seed: int = 0) -> dict:
    """Raw frames, ``_EXTRACTED_MERGED``, ``_FLUXCAL`` and ``_SKYSUB`` of one arm."""
    folder.mkdir(parents=True, exist_ok=True)
    raws = [raw_header(arm, k) for k in range(2)]
    names = []
    for k, raw in enumerate(raws):
        name = f"SOXS_{arm}_OBJ_{k}.fits"  # soxspipe's own names, not the archive's
        fits.PrimaryHDU(header=raw).writeto(folder / name)
        names.append(name)
    arrays = write_products(folder, arm, names, raws, seed=seed)
    return arrays | {"raws": raws}


def write_products(folder: Path, arm: str, names: list[str], raws: list[fits.Header], *,
                   seed: int = 0) -> dict:
    """soxspipe's ``_EXTRACTED_MERGED``, ``_FLUXCAL`` and ``_SKYSUB`` of one arm, naming the
    raw frames ``names`` (whose headers are ``raws``)."""
    rng = np.random.default_rng(seed)
    lo, hi, step, _ = ARMS[arm]
    wave = np.arange(lo, hi + step / 2, step)
    counts = 500.0 + 100.0 * np.sin(wave / 7.0) + rng.normal(0, 20, wave.size)
    counts[5] = 0.0  # a pixel where the conversion factor must be interpolated
    variance = np.abs(counts) + 25.0
    variance[7] = 0.0  # a bad pixel
    density = counts / step
    response = RESPONSE * (1.0 + (wave - lo) / (hi - lo))
    prim = raws[0].copy()
    for key in [k for k in prim if k.startswith("ESO DPR")] + ["ARCFILE"]:
        del prim[key]
    prim["HIERARCH ESO PRO CATG"] = f"SCI_SLIT_FLUX_{arm}"
    prim["HIERARCH ESO PRO TYPE"] = "REDUCED"
    prim["HIERARCH ESO PRO REC1 PIPE ID"] = "soxspipe/v0.17.4"
    for i, name in enumerate(names, 1):
        prim[f"HIERARCH ESO PRO REC1 RAW{i} NAME"] = name
        prim[f"HIERARCH ESO PRO REC1 RAW{i} CATG"] = f"OBJECT_{arm}"
    prim["HIERARCH ESO QC SNR MEDIAN"] = 22.0
    prim["HIERARCH ESO PRO REC1 CAL1 NAME"] = f"MASTER_FLAT_{arm}.fits"
    prim["HIERARCH ESO PRO REC1 CAL1 CATG"] = f"MASTER_FLAT_{arm}"
    sof = f"{arm.lower()}_stare_obj"
    table = fits.BinTableHDU.from_columns([
        fits.Column("WAVE", "D", unit="nm", array=wave),
        fits.Column("FLUX_COUNTS", "D", unit="electron", array=counts),
        fits.Column("VARIANCE", "D", array=variance),
        fits.Column("SKY_COUNTS", "D", array=np.full(wave.size, 40.0)),
        fits.Column("SNR", "D", array=counts / np.sqrt(np.where(variance > 0, variance, 1))),
        fits.Column("FLUX_DENSITY_COUNTS", "D", unit="electron/nm", array=density)])
    fits.HDUList([fits.PrimaryHDU(header=prim), table]).writeto(
        folder / f"{sof}_EXTRACTED_MERGED.fits", checksum=True)
    cal = fits.BinTableHDU.from_columns([
        fits.Column("WAVE", "D", unit="nm", array=wave),
        fits.Column("FLUX_CALIBRATED", "D", array=density * response)])
    fits.HDUList([fits.PrimaryHDU(header=prim), cal]).writeto(folder / f"{sof}_FLUXCAL.fits")
    fits.PrimaryHDU(np.ones((10, 50), np.float32)).writeto(folder / f"{sof}_SKYSUB.fits")
    return {"wave": wave, "variance": variance, "density": density, "counts": counts,
            "response": response, "step": step}
