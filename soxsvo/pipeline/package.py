"""``soxsvo package``: soxspipe's ``SCI_SLIT_FLUX_<ARM>`` products as ESO Phase 3 1D spectra.

soxspipe 0.17.x and 0.19.x are read; what a file holds is decided from its columns and its
header (``ESO PRO CATG``, ``ESO PRO REC1 ID``), never from the version number, which is only
quoted in messages (``ESO PRO REC1 PIPE ID``). Per arm soxspipe writes
``<SOF>_EXTRACTED_MERGED.fits`` (one row per pixel: ``WAVE`` [nm, air, rounded to 0.01 nm],
``FLUX_COUNTS`` [e-], ``VARIANCE`` [e-^2], ``SKY_COUNTS``, ``SNR``; 0.17 also
``FLUX_DENSITY_COUNTS``, which 0.19 writes only for the not-flat-fielded spectrum; no
``TUNITn``) and, when a response was available, ``<SOF>_FLUXCAL.fits`` (``WAVE``,
``FLUX_CALIBRATED``, no error column). This module turns them, with the raw headers they name,
into compliant products:

* ``FLUX`` is ``FLUX_CALIBRATED``; ``ERR`` is propagated through the calibration:
  ``ERR = sqrt(VARIANCE) * |FLUX_CALIBRATED / FLUX_COUNTS|``. soxspipe computes
  ``FLUX_CALIBRATED = FLUX_COUNTS / EXPTIME / binning * extinction * response * 1e-17``
  (``flux_calibration.py``, both versions), a per-pixel factor times ``FLUX_COUNTS``: the same
  factor scales the counts error. Where ``FLUX_COUNTS`` is 0 or not finite the factor is
  interpolated from the neighbouring pixels (it is smooth: the response curve).
* Without a FLUXCAL file the product is ``FLUXCAL = UNCALIBRATED``: ``FLUX = FLUX_COUNTS`` and
  ``ERR = sqrt(VARIANCE)``, in electrons (``FLUX_DENSITY_COUNTS`` is not used, see
  :func:`read_arm_product`).
* ``QUAL`` flags non-finite or non-positive variance / flux (``BAD_PIXEL``); ``SNR`` is
  ``FLUX/ERR``, which equals soxspipe's ``FLUX_COUNTS/sqrt(VARIANCE)``.
* Wavelengths are converted from air to vacuum (IAU standard of Morton 2000, in the inverse
  form of Piskunov used by VALD) and optionally to the barycentre (``SPECSYS = 'BARYCENT'``),
  both stated in ``HISTORY`` cards.
* ``PROVi``, ``NCOMBINE``, ``TEXPTIME``, ``MJD-OBS``/``MJD-END`` and ``OBIDi`` come from the raw
  frames named by ``ESO PRO REC1 RAWi NAME`` (NIR: the exposure is ``ESO DET SEQ1 EXPTIME``,
  see :func:`exposure_seconds`); ``SPEC_RES`` from the arm and the slit.
* The UV-VIS and NIR spectra of one observation are merged (:func:`merge_arms`) when both are
  flux calibrated.
* ``ESO PRO REC1 CALi NAME/CATG`` (master calibrations used) are kept.
* ``_SKYSUB``, ``_SKYMODEL`` and ``_EXTRACTED_ORDERS`` files of the same SOF are copied beside
  the product and named in ``ASSONi``/``ASSOCi``/``ASSOMi``.
* Flux standards (``ESO PRO REC1 ID`` ``soxs-*-std``, or raw ``ESO DPR TYPE`` ``STD...``)
  carry the same ``ESO PRO CATG`` as science; they are recognised and not packaged.
* A night is packaged observation by observation: a file that cannot be packaged is reported
  with its reason and the other files of its observation are not written (all or nothing per
  observation); other observations go on.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.io import fits

from soxsvo.errors import InputError
from soxsvo.phase3.spectrum import (
    AssociatedFile,
    Phase3Spectrum,
    QualityFlag,
    write_phase3_spectrum,
)
from soxsvo.pipeline.merge import merge_arms

__all__ = ["NotPackaged", "PackageError", "PackageRun", "PackagedProduct", "air_to_vacuum",
           "barycentric_velocity", "exposure_seconds", "flux_standard_reason", "package_arm",
           "package_reduced", "pipeline_id", "read_arm_product", "spec_res"]

#: La Silla (NTT), fixed: ``EarthLocation.of_site`` would need the network.
LA_SILLA = {"lon": -70.7375, "lat": -29.2567, "height": 2400.0}
#: Resolving power with a 1 arcsec slit (SOXS design values).
R_1ARCSEC = {"UVVIS": 4500.0, "NIR": 5000.0}
#: Slit keyword per arm in raw headers.
SLIT_KEYWORD = {"UVVIS": "ESO INS VISE NAME", "NIR": "ESO INS NISE NAME"}
#: Associated files soxspipe writes beside the 1D spectrum: suffix -> Phase 3 category.
ASSOCIATED = {"_SKYSUB.fits": "ANCILLARY.2DSPECTRUM",
              "_SKYMODEL.fits": "ANCILLARY.SKYSPECTRUM",
              "_EXTRACTED_ORDERS.fits": "ANCILLARY.ORDERSPECTRA"}
#: Raw-header keywords worth keeping in the product (ObsCore reads the seeing).
KEEP_KEYWORDS = ("ESO OBS NAME", "ESO OBS TARG NAME", "ESO TEL AIRM START", "ESO TEL AIRM END",
                 "ESO TEL AMBI FWHM START", "ESO TEL AMBI FWHM END", "ESO QC SNR MEDIAN",
                 "ESO PRO CATG")
_ARCHIVE_NAME = re.compile(r"^SOXS\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\.fits$")
_C_KMS = 299792.458


class PackageError(InputError):
    """The inputs cannot be packaged; the message says which file and why."""


@dataclass
class ArmProduct:
    """One soxspipe ``SCI_SLIT_FLUX_<ARM>`` product and its flux calibration, as read."""

    path: Path
    header: fits.Header
    arm: str
    wave: np.ndarray
    flux_counts: np.ndarray
    variance: np.ndarray
    flux_calibrated: np.ndarray | None = None

    @property
    def sof(self) -> str:
        """The SOF stem shared by all files of this reduction."""
        return self.path.name[: -len("_EXTRACTED_MERGED.fits")]

    @property
    def pipeline(self) -> str:
        """soxspipe and its version as the file states them, for messages."""
        return pipeline_id(self.header)


@dataclass(frozen=True)
class PackagedProduct:
    """A Phase 3 spectrum written by :func:`package_reduced`."""

    path: Path
    spectrum: Phase3Spectrum = field(repr=False)

    @property
    def summary(self) -> str:
        """One line for the command line."""
        s = self.spectrum
        return (f"{s.arm} {s.object}, {s.wavelmin:.1f}-{s.wavelmax:.1f} nm, {s.nelem} pixels, "
                f"NCOMBINE {s.ncombine}, SNR {s.median_snr():.1f}, {s.specsys}")


# -- physics ------------------------------------------------------------------------------------
def air_to_vacuum(wave_nm: np.ndarray) -> np.ndarray:
    """Vacuum wavelengths (nm) of air wavelengths (nm): IAU standard (Morton 2000), inverted
    by N. Piskunov for VALD; accurate to ~1e-8 relative between 200 nm and 2.5 um."""
    wave_nm = np.asarray(wave_nm, dtype=np.float64)
    s2 = (1e4 / (wave_nm * 10.0)) ** 2
    n = (1.0 + 8.336624212083e-5 + 2.408926869968e-2 / (130.1065924522 - s2)
         + 1.599740894897e-4 / (38.92568793293 - s2))
    return wave_nm * n


def barycentric_velocity(ra: float, dec: float, mjd: float) -> float:
    """Barycentric correction (km/s) for a target seen from La Silla at ``mjd`` (UTC).

    Multiply topocentric wavelengths by ``1 + v / c`` to get barycentric ones.
    """
    from astropy import units as u
    from astropy.coordinates import EarthLocation, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers

    site = EarthLocation.from_geodetic(lon=LA_SILLA["lon"] * u.deg, lat=LA_SILLA["lat"] * u.deg,
                                       height=LA_SILLA["height"] * u.m)
    # No downloads: a telescope's reduction machine may be offline; the bundled IERS table
    # is good to well below 1 m/s for this purpose.
    with iers.conf.set_temp("auto_download", False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")
        v = target.radial_velocity_correction(kind="barycentric", location=site,
                                              obstime=Time(mjd, format="mjd", scale="utc"))
    return float(v.to_value(u.km / u.s))


def spec_res(arm: str, slit: str | float | None) -> float:
    """``SPEC_RES`` of an arm and slit (``'SLIT1.0'``, ``1.0`` ...).

    A slit-limited echelle has R proportional to 1/width: R(1") / width, capped at twice R(1")
    because the 0.5" slit is undersampled. Slits wider than 2" are seeing-limited and keep the
    1" value (the seeing is not known to be better).
    """
    base = R_1ARCSEC["UVVIS" if arm.upper() in ("VIS", "UVVIS") else "NIR"]
    match = re.search(r"(\d+(?:\.\d+)?)", str(slit)) if slit is not None else None
    if match is None:
        return base
    width = float(match.group(1))
    if width <= 0 or width > 2.0:
        return base
    return round(min(base / width, 2.0 * base), 0)


def _slit_arcsec(header: fits.Header, arm: str) -> float:
    match = re.search(r"(\d+(?:\.\d+)?)", str(header.get(SLIT_KEYWORD[arm], "1.0")))
    return float(match.group(1)) if match else 1.0


# -- reading ------------------------------------------------------------------------------------
#: Columns every soxspipe release read here writes; nothing can be packaged without them.
MERGED_COLUMNS = ("WAVE", "FLUX_COUNTS", "VARIANCE")
FLUXCAL_COLUMNS = ("WAVE", "FLUX_CALIBRATED")


def pipeline_id(header: fits.Header) -> str:
    """``ESO PRO REC1 PIPE ID`` (``soxspipe/v0.19.0``), or a phrase saying it is missing."""
    return str(header.get("ESO PRO REC1 PIPE ID", "no ESO PRO REC1 PIPE ID"))


def _table(path: Path, required: tuple[str, ...]) -> tuple[fits.Header, dict[str, np.ndarray]]:
    """Primary header and the ``required`` columns (float64) of a soxspipe table product."""
    try:
        with fits.open(path, memmap=False) as hdul:
            header = hdul[0].header.copy()
            if len(hdul) < 2 or not isinstance(hdul[1], fits.BinTableHDU):
                raise PackageError(f"{path.name} ({pipeline_id(header)}): no table extension")
            table = hdul[1].data
            names = table.columns.names
            missing = [name for name in required if name not in names]
            if missing:
                raise PackageError(
                    f"{path.name} ({pipeline_id(header)}): no {', '.join(missing)} column "
                    f"(has {', '.join(names)}); soxsvo needs {', '.join(required)}")
            columns = {name: np.asarray(table[name], dtype=np.float64).ravel()
                       for name in required}
    except (OSError, IndexError, TypeError, ValueError) as exc:
        raise PackageError(f"{path}: cannot read: {exc}") from None
    return header, columns


def read_arm_product(merged: Path, fluxcal: Path | None = None) -> ArmProduct:
    """Read ``<SOF>_EXTRACTED_MERGED.fits`` and, if given, ``<SOF>_FLUXCAL.fits``.

    Parameters
    ----------
    merged : Path
        soxspipe's order-merged 1D spectrum (``ESO PRO CATG = SCI_SLIT_FLUX_<ARM>``).
    fluxcal : Path, optional
        Its flux calibration, resampled onto ``WAVE`` of ``merged`` if its grid differs.

    Returns
    -------
    ArmProduct

    Raises
    ------
    PackageError
        Naming the file, the soxspipe version it states and what is missing.
    """
    header, columns = _table(merged, MERGED_COLUMNS)
    # FLUX_DENSITY_COUNTS is deliberately not read: 0.19 (DY-1622) writes it only for the
    # not-flat-fielded spectrum, because a flat-fielded one is already divided by the pixel
    # scale through the master flat, so 0.17's column counted the dispersion twice.
    catg = str(header.get("ESO PRO CATG", ""))
    if not catg.startswith("SCI_SLIT_FLUX_"):
        raise PackageError(f"{merged.name} ({pipeline_id(header)}): ESO PRO CATG is {catg!r}, "
                           "not SCI_SLIT_FLUX_<ARM>")
    arm = catg.removeprefix("SCI_SLIT_FLUX_").upper()
    arm = "UVVIS" if arm in ("VIS", "UVVIS") else arm
    product = ArmProduct(merged, header, arm, columns["WAVE"], columns["FLUX_COUNTS"],
                         columns["VARIANCE"])
    if fluxcal is not None:
        product.flux_calibrated = _read_fluxcal(fluxcal, product.wave)
    return product


def _read_fluxcal(path: Path, wave: np.ndarray) -> np.ndarray:
    """``FLUX_CALIBRATED`` of a FLUXCAL file on the grid ``wave`` (NaN outside its range)."""
    _, columns = _table(path, FLUXCAL_COLUMNS)
    cal_wave, cal = columns["WAVE"], columns["FLUX_CALIBRATED"]
    if cal_wave.size == wave.size and np.allclose(cal_wave, wave, rtol=0, atol=1e-6):
        return cal
    return np.interp(wave, cal_wave, cal, left=np.nan, right=np.nan)


def flux_standard_reason(header: fits.Header, raw_headers: list[fits.Header]) -> str | None:
    """Why a product is a flux standard's spectrum, or None for science.

    soxspipe gives standards the science ``ESO PRO CATG`` and drops ``ESO DPR CATG/TYPE``
    from the product, so the recipe (``ESO PRO REC1 ID``, ``soxs-stare-std`` ...), the raw
    frames' tags (``ESO PRO REC1 RAWi CATG``) and the raw frames' own ``ESO DPR`` cards tell.
    """
    recipe = str(header.get("ESO PRO REC1 ID", ""))
    if recipe.endswith("-std"):
        return f"ESO PRO REC1 ID is {recipe!r}"
    i = 1
    while f"ESO PRO REC1 RAW{i} CATG" in header:
        tag = str(header[f"ESO PRO REC1 RAW{i} CATG"])
        if tag.upper().startswith("STD"):
            return f"raw frame tag ESO PRO REC1 RAW{i} CATG is {tag!r}"
        i += 1
    for raw in raw_headers:
        kind = str(raw.get("ESO DPR TYPE", ""))
        if kind.upper().startswith("STD"):
            return f"raw frame {raw.get('ARCFILE', '')} has ESO DPR TYPE {kind!r}"
    return None


def _raw_names(header: fits.Header) -> list[str]:
    names, i = [], 1
    while f"ESO PRO REC1 RAW{i} NAME" in header:
        names.append(str(header[f"ESO PRO REC1 RAW{i} NAME"]))
        i += 1
    return names


def _calibration_cards(header: fits.Header) -> dict:
    """soxspipe's ``ESO PRO REC1 CALi NAME/CATG`` (the master calibrations it used), kept in
    the product so that registration can record them (DataLink ``#calibration``)."""
    cards, i = {}, 1
    while f"ESO PRO REC1 CAL{i} NAME" in header:
        for part in ("NAME", "CATG"):
            key = f"ESO PRO REC1 CAL{i} {part}"
            if key in header:
                cards[f"HIERARCH {key}"] = str(header[key])
        i += 1
    return cards


def _raw_headers(header: fits.Header, raw_dirs: list[Path], product: Path
                 ) -> list[tuple[Path, fits.Header]]:
    """Path and primary header of every raw frame a product names (``ARCFILE`` set from an
    archive name, else empty)."""
    found, missing = [], []
    for name in _raw_names(header):
        path = next((d / name for d in raw_dirs if (d / name).is_file()), None)
        if path is None:
            missing.append(name)
            continue
        raw = fits.getheader(path, 0).copy()
        raw.setdefault("ARCFILE", name if _ARCHIVE_NAME.match(name) else "")
        found.append((path, raw))
    if missing:
        raise PackageError(f"{product.name}: raw frames not found in "
                           f"{', '.join(map(str, raw_dirs)) or '(no --raw folder)'}: "
                           f"{', '.join(missing)}")
    return found


def _science_frames(raws: list[tuple[Path, fits.Header]], product: Path) -> list[fits.Header]:
    """The science frames among ``raws``, each with an archive name for ``PROVi``."""
    science = [(path, raw) for path, raw in raws
               if str(raw.get("ESO DPR CATG", "SCIENCE")).upper() == "SCIENCE"]
    if not science:
        raise PackageError(f"{product.name}: names no science raw frame (ESO PRO REC1 RAWi)")
    for path, raw in science:
        if not raw["ARCFILE"]:
            raise PackageError(f"{path}: no ARCFILE keyword, cannot name it in PROVi")
    return [raw for _, raw in science]


def exposure_seconds(raw: fits.Header) -> float:
    """Exposure time of one raw frame in seconds.

    SOXS NIR ``EXPTIME`` is one DIT (soxspipe's ``soxs_keywords.yaml``, DY-1666); the exposure
    is the detector sequence, ``ESO DET SEQ1 EXPTIME`` (NDIT x DIT plus reads), or NDIT x DIT
    where only those are given. UV-VIS frames have neither: their ``EXPTIME`` is the exposure.
    """
    if "ESO DET SEQ1 EXPTIME" in raw:
        return float(raw["ESO DET SEQ1 EXPTIME"])
    if "ESO DET NDIT" in raw and "ESO DET DIT" in raw:
        return float(raw["ESO DET NDIT"]) * float(raw["ESO DET DIT"])
    return float(raw["EXPTIME"])


# -- building -----------------------------------------------------------------------------------
def _conversion_factor(product: ArmProduct) -> np.ndarray:
    """FLUX_CALIBRATED / FLUX_COUNTS per pixel, interpolated where counts are 0 or bad."""
    counts, cal = product.flux_counts, product.flux_calibrated
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = cal / counts
    ok = np.isfinite(factor) & (counts != 0)
    if not ok.any():
        raise PackageError(f"{product.path.name}: flux calibration has no usable pixel")
    return np.interp(product.wave, product.wave[ok], factor[ok])


def package_arm(product: ArmProduct, raw_headers: list[fits.Header], *, input_air: bool = True,
                barycentric: bool = False, assoc: list[AssociatedFile] | None = None
                ) -> Phase3Spectrum:
    """One arm's Phase 3 spectrum (arrays and every mandatory keyword derived from inputs).

    Parameters
    ----------
    product : ArmProduct
        From :func:`read_arm_product`.
    raw_headers : list of Header
        Primary headers of the science raw frames it was made from.
    input_air : bool
        soxspipe's wavelengths are in air (convert to vacuum).
    barycentric : bool
        Correct the wavelengths to the solar-system barycentre.
    assoc : list of AssociatedFile, optional
        Associated files already written beside the product.
    """
    h = product.header
    variance = product.variance
    bad = ~np.isfinite(variance) | (variance <= 0) | ~np.isfinite(product.flux_counts)
    if product.flux_calibrated is not None:
        factor = _conversion_factor(product)
        flux = product.flux_calibrated
        fluxcal, flux_unit = "ABSOLUTE", None
    else:
        factor = np.ones_like(variance)
        flux = product.flux_counts
        fluxcal, flux_unit = "UNCALIBRATED", "electron"
    err = np.sqrt(np.where(bad, np.nan, variance)) * np.abs(factor)
    bad |= ~np.isfinite(flux)
    # A flux without a usable error is no measurement (and Phase 3 forbids finite FLUX with
    # non-finite ERR): both become NaN, flagged.
    flux = np.where(bad, np.nan, flux)
    qual = np.where(bad, int(QualityFlag.BAD_PIXEL), 0).astype(np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(bad, 0.0, flux / err)

    mjd_obs = min(float(r["MJD-OBS"]) for r in raw_headers)
    mjd_end = max(float(r["MJD-OBS"]) + exposure_seconds(r) / 86400.0 for r in raw_headers)
    texptime = sum(exposure_seconds(r) for r in raw_headers)
    history = []
    wave = product.wave
    if input_air:
        wave = air_to_vacuum(wave)
        history.append("WAVE converted from air to vacuum (IAU/Morton 2000, VALD inverse)")
    specsys = "TOPOCENT"
    ra, dec = float(h["RA"]), float(h["DEC"])
    if barycentric:
        v = barycentric_velocity(ra, dec, (mjd_obs + mjd_end) / 2.0)
        wave = wave * (1.0 + v / _C_KMS)
        specsys = "BARYCENT"
        history.append(f"WAVE corrected to the barycentre: v = {v:+.4f} km/s at mid exposure")
    slit = _slit_arcsec(h, product.arm)
    extra = {f"HIERARCH {k}": h[k] for k in KEEP_KEYWORDS if k in h}
    extra.update(_calibration_cards(h))
    if history:
        extra["HISTORY"] = "; ".join(history)
    obids = list(dict.fromkeys(int(r["ESO OBS ID"]) for r in raw_headers if "ESO OBS ID" in r))
    return Phase3Spectrum(
        wave=wave, flux=flux.astype(np.float32), err=err.astype(np.float32), qual=qual,
        snr=snr.astype(np.float32), object=str(h.get("OBJECT", h.get("ESO OBS TARG NAME", ""))),
        ra=ra, dec=dec, arm=product.arm, mjd_obs=mjd_obs, mjd_end=mjd_end,
        # Nodding and stacking put every exposure into every pixel: EXPTIME = TEXPTIME.
        exptime=texptime, texptime=texptime, ncombine=len(raw_headers),
        prog_id=str(h.get("ESO OBS PROG ID", "")), obids=obids,
        prov=[str(r["ARCFILE"]) for r in raw_headers],
        procsoft=str(h.get("ESO PRO REC1 PIPE ID", "soxspipe")),
        spec_res=spec_res(product.arm, slit), fluxcal=fluxcal,
        fluxerr=-2.0 if fluxcal == "ABSOLUTE" else -1.0, specsys=specsys,
        aperture=slit / 3600.0, flux_unit=flux_unit,
        obstech=str(raw_headers[0].get("ESO DPR TECH", h.get("ESO PRO TECH",
                                                             "ECHELLE,SLIT"))),
        assoc=list(assoc or []), extra_header=extra,
    )


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9+-]+", "", text) or "target"


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_associated(product: ArmProduct, stem: str, out_dir: Path) -> list[AssociatedFile]:
    files = []
    for suffix, category in ASSOCIATED.items():
        source = product.path.with_name(product.sof + suffix)
        if source.is_file():
            target = out_dir / f"{stem}{suffix}"
            shutil.copyfile(source, target)
            files.append(AssociatedFile(target.name, category, _md5(target)))
    return files


def _stem(spec_object: str, arm: str, mjd: float) -> str:
    return f"SOXS_{_safe(spec_object)}_{arm}_{mjd:.5f}"


def find_reduced(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """``(EXTRACTED_MERGED, FLUXCAL or None)`` pairs under ``paths`` (files or folders)."""
    found = []
    for path in map(Path, paths):
        candidates = sorted(path.rglob("*_EXTRACTED_MERGED.fits")) if path.is_dir() else [path]
        for merged in candidates:
            if not merged.name.endswith("_EXTRACTED_MERGED.fits"):
                raise PackageError(f"{merged}: expected a <SOF>_EXTRACTED_MERGED.fits file")
            fluxcal = merged.with_name(merged.name.replace("_EXTRACTED_MERGED", "_FLUXCAL"))
            found.append((merged, fluxcal if fluxcal.is_file() else None))
    if not found:
        raise PackageError(f"no *_EXTRACTED_MERGED.fits under {', '.join(map(str, paths))}")
    return found


@dataclass(frozen=True)
class NotPackaged:
    """A soxspipe file that was not packaged, and why."""

    path: Path
    reason: str
    #: False when the file was left out on purpose (a flux standard), not for a fault.
    failed: bool = True

    @property
    def line(self) -> str:
        """One line for the command line."""
        return f"{self.path}: {'not packaged' if self.failed else 'skipped'}: {self.reason}"


@dataclass
class PackageRun:
    """What :func:`package_reduced` wrote and what it did not."""

    written: list[PackagedProduct] = field(default_factory=list)
    not_packaged: list[NotPackaged] = field(default_factory=list)

    @property
    def failed(self) -> list[NotPackaged]:
        """The files not packaged because of a fault (flux standards excluded)."""
        return [n for n in self.not_packaged if n.failed]


class _FluxStandardError(Exception):
    """A flux standard's spectrum: recognised, deliberately not packaged."""


@dataclass
class _Built:
    product: ArmProduct
    spectrum: Phase3Spectrum


def _observation_key(path: Path) -> tuple[str, str]:
    """Target and OB of a soxspipe product, from its header (the file's own path if unreadable),
    so that a file that fails can take the rest of its observation with it."""
    try:
        header = fits.getheader(path, 0)
        return str(header.get("OBJECT", "")), str(header.get("ESO OBS ID", ""))
    except (OSError, IndexError, TypeError, ValueError):
        return str(path), ""


def _build(merged: Path, fluxcal: Path | None, raw_dirs: list[Path], *, input_air: bool,
           barycentric: bool) -> _Built:
    """One arm's spectrum in memory (nothing written)."""
    product = read_arm_product(merged, fluxcal)
    raws = _raw_headers(product.header, raw_dirs, merged)
    reason = flux_standard_reason(product.header, [raw for _, raw in raws])
    if reason is not None:
        raise _FluxStandardError(f"flux standard {product.header.get('OBJECT', '')!s} ({reason}), "
                            "not a science product")
    spectrum = package_arm(product, _science_frames(raws, merged), input_air=input_air,
                           barycentric=barycentric)
    return _Built(product, spectrum)


def _write_observation(builds: list[_Built], out_dir: Path, merge: bool
                       ) -> list[PackagedProduct]:
    """Write one observation's products: all of them, or none (staged, then moved in)."""
    staging = Path(tempfile.mkdtemp(prefix=".package-", dir=out_dir))
    moved: list[Path] = []
    try:
        written = []
        for built in builds:
            spectrum = built.spectrum
            stem = _stem(spectrum.object, spectrum.arm, spectrum.mjd_obs)
            spectrum.assoc = _copy_associated(built.product, stem, staging)
            write_phase3_spectrum(spectrum, staging / f"{stem}.fits")
            written.append(PackagedProduct(out_dir / f"{stem}.fits", spectrum))
        arms = {b.spectrum.arm: b.spectrum for b in builds if b.spectrum.fluxcal == "ABSOLUTE"}
        # Uncalibrated arms are not merged: electrons of two detectors with different
        # throughputs would make a step at the overlap, not a spectrum.
        if merge and {"UVVIS", "NIR"} <= arms.keys():
            combined = merge_arms(arms["UVVIS"], arms["NIR"])
            name = f"{_stem(combined.object, 'MERGED', combined.mjd_obs)}.fits"
            write_phase3_spectrum(combined, staging / name)
            written.append(PackagedProduct(out_dir / name, combined))
        for path in sorted(staging.iterdir()):
            os.replace(path, out_dir / path.name)
            moved.append(out_dir / path.name)
        return written
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def package_reduced(paths: list[Path], out_dir: Path, *, raw_dirs: list[Path] | None = None,
                    barycentric: bool = False, input_air: bool = True,
                    merge: bool = True) -> PackageRun:
    """Package every soxspipe 1D product under ``paths``, observation by observation.

    A file that cannot be packaged does not stop the others: it is reported with its reason,
    and the other files of its observation (same ``OBJECT`` and ``ESO OBS ID``) are not
    written either, so that no observation is delivered in part. Flux standards are reported
    as skipped.

    Parameters
    ----------
    paths : list of Path
        ``<SOF>_EXTRACTED_MERGED.fits`` files or folders holding them (``FLUXCAL`` beside).
    out_dir : Path
        Where the Phase 3 products and their associated files are written.
    raw_dirs : list of Path, optional
        Folders of the raw frames named in ``ESO PRO REC1 RAWi NAME`` (default: each
        product's own folder).
    barycentric, input_air : bool
        See :func:`package_arm`.
    merge : bool
        Also write the merged UV-VIS+NIR spectrum where an observation has both arms, flux
        calibrated.

    Returns
    -------
    PackageRun
        Products written (per observation: arms, then the merged one) and files not packaged.

    Raises
    ------
    PackageError
        If ``paths`` hold no ``*_EXTRACTED_MERGED.fits`` file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    run = PackageRun()
    observations: dict[tuple[str, str], list[_Built]] = {}
    faults: dict[tuple[str, str], list[Path]] = {}
    for merged, fluxcal in find_reduced(paths):
        key = _observation_key(merged)
        try:
            built = _build(merged, fluxcal, list(raw_dirs or [merged.parent]),
                           input_air=input_air, barycentric=barycentric)
        except _FluxStandardError as exc:
            run.not_packaged.append(NotPackaged(merged, str(exc), failed=False))
            continue
        except (PackageError, KeyError, ValueError, OSError) as exc:
            reason = (f"no {exc} card in the product or its raw frames"
                      if isinstance(exc, KeyError) else str(exc))
            run.not_packaged.append(NotPackaged(merged, reason))
            faults.setdefault(key, []).append(merged)
            continue
        observations.setdefault(key, []).append(built)
    for key, builds in observations.items():
        if key in faults:
            failed = ", ".join(p.name for p in faults[key])
            run.not_packaged += [NotPackaged(b.product.path, f"another file of the observation "
                                             f"could not be packaged ({failed})")
                                 for b in builds]
            continue
        try:
            run.written += _write_observation(builds, out_dir, merge)
        except (OSError, ValueError) as exc:
            run.not_packaged += [NotPackaged(b.product.path, f"cannot write: {exc}")
                                 for b in builds]
    return run
