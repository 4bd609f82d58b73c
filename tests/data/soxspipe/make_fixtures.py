"""Write the test products under ``tests/data/soxspipe/<version>/`` with soxspipe's own code.

Run with the soxspipe release to reproduce, in its own environment (soxspipe 0.19 needs
Python >= 3.12 and imports ``six`` without declaring it)::

    python3.12 -m venv sxp && sxp/bin/pip install soxspipe==0.19.0 six
    sxp/bin/python tests/data/soxspipe/make_fixtures.py

The same script runs under soxspipe 0.17.4 (``pip install soxspipe==0.17.4 six``), where the
product header comes from ``base_recipe.update_fits_keywords`` as a whole and the response is
0.17's polynomial table.

Nothing of soxspipe is copied into soxsvo: this script only *calls* it, and the files it writes
are soxspipe's output for small synthetic inputs with a known truth (see README.md).

What is soxspipe's and what is ours:

* ours: the raw frames (primary headers only), the per-order extraction table (the input of
  soxspipe's order merge: ``order``, ``wavelengthMean``, ``pixelScaleNm``,
  ``extractedFluxOptimal``, ``varianceSpectrum``, ``skyFlux`` ...), the response curve and a
  master-flat stand-in (its bytes only feed the ``DATAMD5`` card);
* soxspipe's: the product header cards (``base_recipe._stamp_raw_frame_records``,
  ``_stamp_calibration_frame_records``, the PIPE ID/recipe cards of
  ``update_fits_keywords``), the order merge (``horne_extraction.merge_extracted_orders``, with
  its ``np.interp`` resampling and gap bridging), the column rounding and header clean-up of
  ``horne_extraction.extract`` (inline there, so repeated here line for line), the FITS writer
  (``phase3.write_fits_table_to_disk``) and the flux calibration
  (``flux_calibration.calibrate``, which writes the ``_FLUXCAL`` file itself).

The truth: a target of flux density ``truth(wave)`` erg/s/cm2/A seen through La Silla's
extinction (soxspipe's table and function) and the response ``response(wave)``; the extracted
counts are its expectation plus Gaussian noise of the stated variance (seeded), so
``FLUX_CALIBRATED`` scatters around ``truth`` by the propagated error.
"""

from __future__ import annotations

import importlib.metadata
import logging
import shutil
import sys
import tempfile
import warnings
from contextlib import suppress
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from soxspipe.commonutils import keyword_lookup
from soxspipe.commonutils.flux_calibration import flux_calibration
from soxspipe.commonutils.horne_extraction import horne_extraction
from soxspipe.commonutils.phase3 import write_fits_table_to_disk
from soxspipe.recipes.base_recipe import base_recipe

HERE = Path(__file__).resolve().parent
VERSION = importlib.metadata.version("soxspipe")
#: 0.17's base_recipe has no ``_stamp_*`` helpers and its response is a polynomial table.
LEGACY = VERSION.startswith("0.17.")
START_MJD = 61000.05
#: arm -> (first wavelength, last wavelength [nm], detector pixel scale [nm], orders).
ARMS = {"VIS": (800.0, 812.0, 0.0125, (2, 1)), "NIR": (800.0, 836.0, 0.045, (26, 25))}
EXPTIME = {"VIS": 600.0, "NIR": 600.0}  # NIR: one DIT; NDIT 3 below
NDIT = 3


class _Log(logging.Logger):
    """soxspipe's logger has a ``print`` method (fundamentals); a plain one does not."""

    def print(self, message: str) -> None:  # noqa: A003 - soxspipe's name
        self.info(message)


LOG = _Log("soxspipe-fixtures")
SETTINGS = {"instrument": "soxs", "workspace-root-dir": "", "save-intermediate-products": False}
KW = keyword_lookup(log=LOG, settings=SETTINGS).get


def truth(wave: np.ndarray) -> np.ndarray:
    """The target's flux density (erg/s/cm2/A): a slope and one absorption line."""
    return 2.0e-16 * (1.0 + 0.3 * (wave - 800.0) / 40.0) * (
        1.0 - 0.4 * np.exp(-0.5 * ((wave - 806.0) / 0.3) ** 2))


def response(wave: np.ndarray) -> np.ndarray:
    """Response (soxspipe's convention: F = counts/s/unbinned px * extinction * R * 1e-17)."""
    return 0.05 * (1.0 + 0.2 * (wave - 800.0) / 40.0)


def raw_header(arm: str, k: int, *, standard: bool) -> fits.Header:
    """Primary header of a SOXS raw frame (ours: soxspipe reads, never writes, these)."""
    mjd = START_MJD + k * 2000.0 / 86400.0 + (0.0 if arm == "VIS" else 1e-5) \
        + (0.5 if standard else 0.0)
    h = fits.Header()
    h["ARCFILE"] = "SOXS." + Time(mjd, format="mjd").isot[:23] + ".fits"  # the archive's name
    cards = {"OBJECT": "LTT 3218" if standard else "SN 2026xyz", "RA": 130.0 if standard
             else 150.25, "DEC": -32.5 if standard else -30.5, "RADESYS": "ICRS",
             "MJD-OBS": mjd, "DATE-OBS": Time(mjd, format="mjd").isot[:23],
             "EXPTIME": EXPTIME[arm], "ESO SEQ ARM": arm,
             "ESO DPR CATG": "CALIB" if standard else "SCIENCE",
             "ESO DPR TYPE": "STD,FLUX" if standard else "OBJECT",
             "ESO DPR TECH": "ECHELLE,SLIT", "ESO OBS ID": 3000099 if standard else 3000042,
             "ESO OBS PROG ID": "116.28A1.001", "ESO OBS TARG NAME": "LTT3218" if standard
             else "SN2026xyz", "ESO TEL AIRM START": 1.10, "ESO TEL AIRM END": 1.12,
             "ESO TEL AMBI FWHM START": 0.9}
    if arm == "VIS":
        cards |= {"ESO INS VISE NAME": "SLIT1.0", "ESO DET BINY": 1, "ESO DET OUT1 GAIN": 0.6}
    else:
        cards |= {"ESO INS NISE NAME": "SLIT1.5", "ESO DET DIT": EXPTIME[arm],
                  "ESO DET NDIT": NDIT, "ESO DET SEQ1 EXPTIME": EXPTIME[arm] * NDIT}
    for key, value in cards.items():
        h[f"HIERARCH {key}" if " " in key else key] = value
    return h


def extinction(wave: np.ndarray, arm: str, airmass: float) -> np.ndarray:
    """soxspipe's extinction correction (UV-VIS only, as ``flux_calibration`` applies it)."""
    import soxspipe
    from soxspipe.commonutils.toolkit import extinction_correction_factor

    if arm == "NIR":
        return np.ones_like(wave)
    table = Path(soxspipe.__file__).parent / "resources/static_calibrations/soxs" \
        / "extinction_lasilla.fits"
    return np.asarray(extinction_correction_factor(wave, str(table), airmass), dtype=float)


def extracted_orders(arm: str, exptime: float, airmass: float, seed: int) -> pd.DataFrame:
    """Per-order extraction (soxspipe's column names), two overlapping orders, known truth."""
    lo, hi, scale, orders = ARMS[arm]
    rng = np.random.default_rng(seed)
    mid = 0.5 * (lo + hi)
    rows = []
    for order, (a, b) in zip(orders, ((lo, mid + 1.0), (mid - 1.0, hi)), strict=True):
        wave = np.arange(a, b, scale) + 0.003  # detector pixels, not on the output grid
        # Expected flat-fielded electrons per unbinned pixel (NIR: per DIT, as soxspipe
        # calibrates with the frame's EXPTIME), then noise of that variance.
        counts = truth(wave) * exptime / (extinction(wave, arm, airmass) * response(wave)
                                          * 1e-17)
        variance = counts + 400.0
        observed = counts + rng.normal(0.0, np.sqrt(variance))
        rows.append(pd.DataFrame({
            "order": order, "wavelengthMean": wave, "pixelScaleNm": scale,
            "extractedFluxOptimal": observed, "extractedFluxBoxcar": observed,
            "extractedFluxBoxcarRobust": observed, "varianceSpectrum": variance,
            "skyFlux": np.full(wave.size, 50.0), "snr": observed / np.sqrt(variance)}))
    return pd.concat(rows, ignore_index=True)


def product_header(raws: list[tuple[str, fits.Header]], calibration: Path, arm: str,
                   recipe: str) -> fits.Header:
    """The header soxspipe gives the sky-subtracted frame, stamped by soxspipe's own code."""
    header = raws[0][1].copy()
    frame = SimpleNamespace(header=header)
    stub = SimpleNamespace(kw=KW, log=LOG)
    table = pd.DataFrame({
        "filename": [n for n, _ in raws] + [calibration.name],
        "tag": [("STD_FLUX_" if "std" in recipe else "OBJECT_") + arm] * len(raws)
        + [f"MASTER_FLAT_{arm}"],
        KW("PRO_TYPE"): [np.nan] * len(raws) + ["REDUCED"],
        KW("PRO_CATG"): [np.nan] * len(raws) + [f"MASTER_FLAT_{arm}"],
        "file": [""] * len(raws) + [str(calibration)]})
    if LEGACY:
        return _legacy_header(frame, table, arm, recipe)
    base_recipe._stamp_raw_frame_records(stub, frame, table)
    base_recipe._stamp_calibration_frame_records(stub, frame, table)
    # base_recipe.update_fits_keywords, the two cards after the stamps:
    header["ESO PRO REC1 PIPE ID"] = f"soxspipe/v{VERSION}"
    header["ESO PRO REC1 ID"] = recipe
    return header


def _legacy_header(frame: SimpleNamespace, table: pd.DataFrame, arm: str,
                   recipe: str) -> fits.Header:
    """0.17.x: ``base_recipe.update_fits_keywords`` stamps every card itself."""
    table = table.copy()
    table["TYPE"] = [t.rsplit("_", 1)[0] for t in table["tag"]]
    table["ARM"] = arm
    stub = SimpleNamespace(kw=KW, log=LOG, arm=arm, detectorParams={}, imageType="OBJECT",
                           rawFrames=SimpleNamespace(to_pandas=lambda: table.copy()),
                           get_recipe_settings=dict, recipeName=recipe)
    base_recipe.update_fits_keywords(stub, frame)
    return frame.header


def merged_product(header: fits.Header, orders: pd.DataFrame, arm: str, path: Path,
                   orders_path: Path) -> pd.DataFrame:
    """soxspipe's order merge and the writing of ``_EXTRACTED_MERGED``/``_EXTRACTED_ORDERS``."""
    extractor = object.__new__(horne_extraction)
    extractor.log, extractor.kw, extractor.arm, extractor.notFlattened = LOG, KW, arm, ""
    merged, _ = extractor.merge_extracted_orders(orders.copy())
    # horne_extraction.extract, after the merge (0.19.0, verbatim but for names):
    header = header.copy()
    for key in ("DPR_CATG", "DPR_TYPE", "DET_READ_SPEED", "CONAD", "GAIN", "RON"):
        with suppress(KeyError):
            header.pop(KW(key))
    header[KW("SEQ_ARM")] = arm
    header["HIERARCH " + KW("PRO_TYPE")] = "REDUCED"
    header["HIERARCH " + KW("PRO_CATG")] = f"SCI_SLIT_FLUX_{arm}".upper()
    write_fits_table_to_disk(log=LOG, settings=SETTINGS, header=header.copy(), tables=[orders],
                             filePath=str(orders_path), qc=None)
    for col, decimals in [("WAVE", 2), ("FLUX_COUNTS", 3), ("SNR", 2),
                          ("FLUX_DENSITY_COUNTS", 3)]:
        if col not in merged.columns:
            continue
        merged[col] = merged[col].apply(
            lambda x, d=decimals: round(float(getattr(x, "value", x)), d))
    write_fits_table_to_disk(log=LOG, settings=SETTINGS, header=header,
                             tables=[Table.from_pandas(merged)], filePath=str(path), qc=None)
    return merged


def response_product(folder: Path, arm: str) -> Path:
    """A ``_RESP`` product as the installed soxspipe reads it, holding :func:`response`."""
    primary = fits.PrimaryHDU()
    if LEGACY:
        # 0.17: np.polyval of c0..c<polyOrder> (highest power first); response() is linear.
        slope = 0.05 * 0.2 / 40.0
        curve = fits.BinTableHDU(Table({"polyOrder": [1], "c0": [slope],
                                        "c1": [0.05 - 800.0 * slope]}))
    else:
        # 0.19: a RESPONSE curve and the basis card it refuses to read a product without.
        from soxspipe.commonutils.response_basis import RESPONSE_BASIS, RESPONSE_BASIS_KEYWORD

        wave = np.linspace(790.0, 850.0, 61)
        primary.header[f"HIERARCH {RESPONSE_BASIS_KEYWORD}"] = RESPONSE_BASIS
        curve = fits.BinTableHDU(Table({"WAVE": wave, "RESPONSE": response(wave)}),
                                 name="RESPONSE")
    path = folder / f"RESP_TAB_{arm}.fits"
    fits.HDUList([primary, curve]).writeto(path, overwrite=True)
    return path


def fluxcal_product(merged: pd.DataFrame, header: fits.Header, arm: str, sof: str,
                    work: Path, target: Path) -> None:
    """soxspipe's flux calibration of the merged spectrum, moved to ``target``."""
    import soxspipe

    static = Path(soxspipe.__file__).parent / "resources/static_calibrations/soxs"
    settings = SETTINGS | {"workspace-root-dir": str(work)}
    calibrator = flux_calibration(
        log=LOG, responseFunction=str(response_product(work, arm)), extractedSpectrum=merged,
        settings=settings, airmass=header.get("HIERARCH ESO TEL AIRM END"),
        exptime=header.get("EXPTIME"), extinctionPath=str(static / "extinction_lasilla.fits"),
        arm=arm, header=header.copy(), recipeName="soxs-stare", startNightDate="2026-01-10",
        sofName=sof)
    path, _ = calibrator.calibrate()
    shutil.move(path, target)


def observation(out: Path, work: Path, arm: str, *, standard: bool, seed: int) -> None:
    """Raw frames and soxspipe products of one arm of one observation."""
    kind = "std" if standard else "obj"
    recipe = "soxs-stare-std" if standard else "soxs-stare"
    raws = []
    for k in range(2):
        name = f"SOXS_{arm}_{kind.upper()}_{k}.fits"
        header = raw_header(arm, k, standard=standard)
        fits.PrimaryHDU(header=header).writeto(out / name, overwrite=True)
        raws.append((name, header))
    flat = work / f"MASTER_FLAT_{arm}.fits"
    fits.PrimaryHDU(np.ones((4, 4), np.float32)).writeto(flat, overwrite=True)
    header = product_header(raws, flat, arm, recipe)
    sof = f"{arm.lower()}_stare_{kind}"
    # flux_calibration divides by the product header's EXPTIME (NIR: one DIT, DY-1666); the
    # synthetic counts use the same time, so FLUX_CALIBRATED is an estimate of truth().
    orders = extracted_orders(arm, float(header["EXPTIME"]),
                              float(header["HIERARCH ESO TEL AIRM END"]), seed)
    merged = merged_product(header, orders, arm, out / f"{sof}_EXTRACTED_MERGED.fits",
                            out / f"{sof}_EXTRACTED_ORDERS.fits")
    fluxcal_product(merged, header, arm, sof, work, out / f"{sof}_FLUXCAL.fits")


def main() -> int:
    """Write every fixture of the installed soxspipe version."""
    # soxspipe sets its ESO cards without HIERARCH; astropy says so once per card and file.
    warnings.simplefilter("ignore", fits.verify.VerifyWarning)
    out = HERE / VERSION
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for seed, arm in enumerate(ARMS):
            observation(out, Path(tmp), arm, standard=False, seed=seed)
        observation(out, Path(tmp), "VIS", standard=True, seed=7)
    print(f"soxspipe {VERSION} fixtures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
