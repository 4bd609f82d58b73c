"""What every adapter produces: detections (with their photometry) and events.

Photometry is flux density in microjansky on the AB scale (zero point 23.9 mag), with the
measurement as the survey reported it kept beside it (value, error, unit and system).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: AB magnitude of a flux density of 1 microjansky.
UJY_ZERO_POINT = 23.9
#: Gaia G on the AB scale minus G on its Vega scale (Gaia EDR3 zero points 25.8010 - 25.6874).
GAIA_G_AB_MINUS_VEGA = 0.1136
#: Julian date minus modified Julian date.
MJD_OFFSET = 2400000.5


def mag_to_ujy(mag: float) -> float:
    """Flux density in microjansky of an AB magnitude."""
    return 10.0 ** ((UJY_ZERO_POINT - mag) / 2.5)


def mag_error_to_ujy(flux_ujy: float, mag_err: float | None) -> float | None:
    """First-order flux error of a magnitude error (``sigma_F = F ln(10)/2.5 sigma_m``)."""
    if mag_err is None or not math.isfinite(mag_err):
        return None
    return abs(flux_ujy) * mag_err * math.log(10.0) / 2.5


def ujy_to_mag(flux_ujy: float) -> float:
    """AB magnitude of a positive flux density in microjansky."""
    return UJY_ZERO_POINT - 2.5 * math.log10(flux_ujy)


@dataclass(frozen=True)
class Photometry:
    """One measurement or non-detection, converted and as reported.

    Attributes
    ----------
    band : str
        Survey-qualified band, e.g. ``ztf-g``, ``lsst-r``, ``atlas-o``, ``gaia-G``.
    mjd : float
        Modified Julian date of the exposure's midpoint.
    flux_ujy, flux_err_ujy : float or None
        Flux density and its error (microjansky, AB). For an upper limit ``flux_ujy`` is the
        limit itself and ``flux_err_ujy`` is None. Difference-image fluxes may be negative.
    upper_limit : bool
        True for a non-detection.
    orig_value, orig_error, orig_unit : float, float, str
        The measurement as the survey gave it, e.g. ``(18.36, 0.09, "mag(AB) psf")``.
    source_id : str
        Identifier of this measurement in its survey, unique per survey (ZTF candid, ...).
    """

    band: str
    mjd: float
    flux_ujy: float | None
    flux_err_ujy: float | None
    upper_limit: bool
    orig_value: float | None
    orig_error: float | None
    orig_unit: str
    source_id: str


#: The three cutouts of an alert, named as the pages show them.
STAMP_KINDS = ("science", "reference", "difference")


@dataclass(frozen=True)
class Stamp:
    """One image cutout of an alert, kept as the packet carries it.

    Attributes
    ----------
    kind : str
        One of :data:`STAMP_KINDS`.
    data : bytes
        The FITS file as in the packet (ZTF: gzip-compressed; Rubin: plain FITS).
    file_name : str or None
        The survey's name of the file, where the packet gives one.
    """

    kind: str
    data: bytes
    file_name: str | None = None


@dataclass(frozen=True)
class Scores:
    """What the survey's own classifiers said about the triggering detection.

    ZTF: ``rb`` (real-bogus), ``drb`` (deep real-bogus), ``sgscore1`` (star-galaxy score of the
    nearest Pan-STARRS source, 1 = star) and ``distpsnr1`` (its distance, arcsec). Rubin:
    ``reliability``. ``positive`` is the sign of the difference (ZTF ``isdiffpos``, Rubin's
    flux sign); ``flags`` names the Rubin ``diaSource`` flags that are set.
    """

    mjd: float | None = None
    rb: float | None = None
    drb: float | None = None
    sgscore1: float | None = None
    distpsnr1: float | None = None
    reliability: float | None = None
    positive: bool | None = None
    flags: tuple[str, ...] = ()


@dataclass
class Detection:
    """One alert about one object: its position, its survey name and its photometry.

    Attributes
    ----------
    source : str
        The adapter that read it (``ztf``, ``lsst``, ``tns``, ``atlas``, ``gaia``).
    alert_id : str
        Identifier of the alert, unique within ``source``: re-ingesting it changes nothing.
    survey : str
        Survey that names the object and measured the photometry (``ZTF``, ``LSST``, ...).
    object_name : str or None
        The survey's name of the object, e.g. ``ZTF17aaajnnn``; becomes an alias.
    ra, dec : float
        ICRS position in degrees.
    photometry : list of Photometry
    tns_name : str or None
        The IAU/TNS designation with its prefix (``SN 2024abc``), from TNS reports.
    aliases : list of (name, survey)
        Other names the report gives (TNS internal names).
    classification, redshift
        As reported (TNS), filled in only where the transient has none.
    creates_objects : bool
        False for sources that may only add to known transients (TNS reports).
    origin : str
        File (or request) the alert came from, for messages.
    stamps : list of Stamp
        The alert's image cutouts (ZTF, Rubin).
    scores : Scores or None
        The survey's scores of the triggering detection (ZTF, Rubin).
    """

    source: str
    alert_id: str
    survey: str
    object_name: str | None
    ra: float
    dec: float
    photometry: list[Photometry] = field(default_factory=list)
    tns_name: str | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)
    classification: str | None = None
    redshift: float | None = None
    creates_objects: bool = True
    origin: str = ""
    stamps: list[Stamp] = field(default_factory=list)
    scores: Scores | None = None


@dataclass
class SkyMap:
    """A multi-order (NUNIQ) sky map: cell numbers and probability density per steradian."""

    uniq: list[int]
    probdensity: list[float]


@dataclass
class Event:
    """A GRB, neutrino or gravitational-wave notice (GCN).

    ``notice_id`` is unique per notice (one event has several: preliminary, initial, update,
    retraction); ``name`` identifies the event the notices are about.
    """

    source: str
    notice_id: str
    name: str
    kind: str
    mission: str
    notice_type: str
    trigger_time: str | None
    issued_at: str | None
    ra: float | None
    dec: float | None
    error_radius_deg: float | None
    retracted: bool
    properties: dict
    payload: dict
    skymap: SkyMap | None = None
    origin: str = ""
