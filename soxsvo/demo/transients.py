"""Seeded synthetic transients with multi-survey photometry, spread like follow-up targets.

Positions cluster (surveys' fields, the Galactic caps) and deliberately include the awkward
places: near both celestial poles and on both sides of RA 0/360. Light curves follow a simple
rise-and-decline model seen by ZTF (g, r), ATLAS (c, o) and Gaia (G), with non-detections
before explosion reported as upper limits.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

import numpy as np

from soxsvo.marshall.ingest.model import UJY_ZERO_POINT

#: Epoch the demo is built around (MJD 61365 = 2026-11-21): fixed, so the demo is reproducible.
DEMO_EPOCH_MJD = 61365.0

# (type, share, peak absolute-ish apparent mag range, rise days, decline mag/day)
_TYPES = (
    ("SN Ia", 0.45, (17.0, 19.0), 17.0, 0.05),
    ("SN II", 0.30, (17.5, 19.5), 10.0, 0.015),
    ("TDE", 0.07, (17.5, 19.0), 30.0, 0.02),
    ("kilonova", 0.05, (18.0, 19.5), 1.0, 0.5),
    (None, 0.13, (18.5, 20.0), 12.0, 0.04),
)
# Cluster centres (ra, dec): survey-rich fields plus the poles and RA 0/360 on purpose.
_CENTRES = ((0.2, -30.0), (359.7, 5.0), (150.0, 2.2), (53.0, -28.0), (210.0, 54.0),
            (45.0, 88.5), (300.0, -88.0), (266.4, -29.0))
_BANDS = (("ZTF", "ztf-g", 2.0), ("ZTF", "ztf-r", 2.0), ("ATLAS", "atlas-c", 2.0),
          ("ATLAS", "atlas-o", 2.0), ("Gaia", "gaia-G", 20.0))
_LIMITING_MAG = {"ZTF": 20.5, "ATLAS": 19.5, "Gaia": 20.7}
_BAND_OFFSET = {"ztf-g": 0.0, "ztf-r": 0.1, "atlas-c": 0.05, "atlas-o": 0.15, "gaia-G": 0.08}


@dataclass
class Photometry:
    """One measurement as the survey reported it (magnitude) and as flux density."""

    survey: str
    band: str
    mjd: float
    mag: float | None
    mag_err: float | None
    limit_mag: float | None
    source_id: str

    @property
    def upper_limit(self) -> bool:
        """True for a non-detection."""
        return self.mag is None

    def flux_ujy(self) -> tuple[float, float | None]:
        """Flux density and its error in microjansky (the limit itself for non-detections)."""
        if self.mag is None:
            return float(10 ** ((UJY_ZERO_POINT - self.limit_mag) / 2.5)), None
        flux = 10 ** ((UJY_ZERO_POINT - self.mag) / 2.5)
        return float(flux), float(flux * self.mag_err * np.log(10) / 2.5)


@dataclass
class DemoTransient:
    """A synthetic transient and everything the surveys saw of it."""

    name: str
    ra: float
    dec: float
    kind: str | None
    redshift: float
    explosion_mjd: float
    peak_mag: float
    aliases: list[tuple[str, str]] = field(default_factory=list)
    photometry: list[Photometry] = field(default_factory=list)


def _scatter_position(rng: np.random.Generator, centre: tuple[float, float]) -> tuple[float, float]:
    ra0, dec0 = centre
    dec = dec0 + rng.normal(0.0, 2.0)
    ra = ra0 + rng.normal(0.0, 2.0) / max(np.cos(np.radians(dec0)), 0.05)
    if dec > 90.0:  # walked over the pole: come down the other side
        dec, ra = 180.0 - dec, ra + 180.0
    elif dec < -90.0:
        dec, ra = -180.0 - dec, ra + 180.0
    return float(ra % 360.0), float(dec)


def _random_position(rng: np.random.Generator) -> tuple[float, float]:
    if rng.random() < 0.75:
        return _scatter_position(rng, _CENTRES[rng.integers(len(_CENTRES))])
    ra = rng.uniform(0.0, 360.0)
    dec = float(np.degrees(np.arcsin(rng.uniform(-1.0, 0.5))))  # mostly southern sky
    return float(ra), dec


def _letters(number: int) -> str:
    """TNS-style suffix: 0 -> 'aaa', 1 -> 'aab', ..."""
    out = ""
    for _ in range(3):
        number, digit = divmod(number, 26)
        out = string.ascii_lowercase[digit] + out
    return out


def _magnitude(days: float, peak: float, rise: float, decline: float) -> float:
    if days < 0:
        return 99.0
    if days < rise:
        return peak + 2.5 * (1 - days / rise) ** 2 * 1.5
    return peak + decline * (days - rise)


def _light_curve(rng, transient: DemoTransient, rise: float, decline: float,
                 aliases: dict[str, str]) -> list[Photometry]:
    points = []
    for survey, band, cadence in _BANDS:
        if survey not in aliases:
            continue
        mjd = transient.explosion_mjd - rng.uniform(5, 15)
        end = min(transient.explosion_mjd + 120.0, DEMO_EPOCH_MJD)
        while mjd < end:
            mag = _magnitude(mjd - transient.explosion_mjd, transient.peak_mag, rise, decline)
            mag += _BAND_OFFSET[band]
            limit = _LIMITING_MAG[survey] + rng.normal(0, 0.2)
            source = f"{aliases[survey]}-{band}-{mjd:.5f}"
            if mag > limit:
                points.append(Photometry(survey, band, mjd, None, None, round(limit, 3), source))
            else:
                err = 0.02 + 0.1 * 10 ** (0.4 * (mag - limit))
                seen = mag + rng.normal(0.0, err)
                points.append(Photometry(survey, band, mjd, round(seen, 3), round(err, 3),
                                         None, source))
            mjd += cadence * rng.uniform(0.7, 1.3)
    return points


def generate_transients(n: int, rng: np.random.Generator) -> list[DemoTransient]:
    """``n`` synthetic transients with aliases and photometry, reproducible for a generator."""
    shares = np.array([t[1] for t in _TYPES])
    transients = []
    for index in range(n):
        kind, _, (lo, hi), rise, decline = _TYPES[rng.choice(len(_TYPES), p=shares)]
        ra, dec = _random_position(rng)
        explosion = DEMO_EPOCH_MJD - rng.uniform(10.0, 900.0)
        year = 2024 + int((explosion - 60310.0) // 365.25)
        prefix = "SN" if kind and kind.startswith("SN") else "AT"
        transient = DemoTransient(
            name=f"{prefix} {year}{_letters(index)}", ra=ra, dec=dec, kind=kind,
            redshift=round(float(rng.uniform(0.005, 0.12)), 4), explosion_mjd=explosion,
            peak_mag=float(rng.uniform(lo, hi)),
        )
        yy = str(year)[2:]
        aliases = {"TNS": transient.name}
        if abs(dec) < 87 and dec > -31:
            aliases["ZTF"] = f"ZTF{yy}aa{_letters(index * 7 + 3)}"
        aliases["ATLAS"] = f"ATLAS{yy}{_letters(index * 11 + 5)}"
        if rng.random() < 0.3:
            aliases["Gaia"] = f"Gaia{yy}{_letters(index * 13 + 1)}"
        transient.aliases = sorted((name, survey) for survey, name in aliases.items())
        transient.photometry = _light_curve(rng, transient, rise, decline, aliases)
        transients.append(transient)
    return transients

