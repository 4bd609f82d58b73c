"""The night at the NTT: twilights, moon, and where each target is at each step of the night.

Twilights, sunset/sunrise and the moon's illumination come from astroplan's :class:`Observer`.
Target altitudes over the night grid are computed with numpy from one astropy transformation
per target (to CIRS, at mid-night) and the Earth rotation angle at each step: one call for 250
targets x 300 steps instead of 75,000 AltAz transformations, equal to astropy's AltAz to
arcseconds (refraction is left out by both; tests/observing/test_night.py checks it).

All of it runs with the IERS tables bundled with astropy (``astropy-iers-data``) and never
downloads one (:func:`offline_iers`): a machine without internet plans the same night.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import astropy.units as u
import numpy as np
from astroplan import Observer
from astropy.coordinates import CIRS, EarthLocation, SkyCoord, get_body
from astropy.time import Time
from astropy.utils import iers

from soxsvo.observing.config import ObservingConfig, PlanningError

#: Hour (UTC) from which the night of a date is searched: local noon at La Silla (UTC-4:43
#: mean solar time), so "the night of 2026-12-07" is the one that begins that evening.
_LOCAL_NOON_UTC = 16


@contextmanager
def offline_iers() -> Iterator[None]:
    """Use only the IERS tables installed with astropy, whatever their age.

    Why: astropy downloads a fresh IERS-A table when its own is older than 30 days and refuses
    to interpolate predictions beyond it; the observatory may have no internet at 2 a.m., and
    the same night must come out of every machine. UT1-UTC (< 0.9 s) and polar motion
    (< 1 arcsec) are far below what a schedule of 2-minute steps can see.
    """
    with (iers.conf.set_temp("auto_download", False), iers.conf.set_temp("auto_max_age", None),
          iers.conf.set_temp("iers_degraded_accuracy", "ignore"), warnings.catch_warnings()):
        warnings.simplefilter("ignore", category=iers.IERSStaleWarning)
        yield


@dataclass(frozen=True)
class NightModel:
    """One night at the NTT on a grid of ``step_seconds``.

    Attributes
    ----------
    night_date : date
        The date the night begins on (local evening).
    sunset, sunrise : datetime
        Sun at the horizon (UTC).
    twilights : dict
        ``{"civil"|"nautical"|"astronomical": (evening, morning)}`` (UTC datetimes).
    start, end : datetime
        The planned night: evening and morning twilight of the configured kind.
    times : Time
        Grid times from ``start`` (``end`` falls between the last step and one step later).
    moon_illumination : float
        Illuminated fraction of the moon at mid-night.
    moon_ra, moon_dec : ndarray
        Moon's apparent position (CIRS, degrees) at each grid time.
    """

    night_date: date
    config: ObservingConfig
    sunset: datetime
    sunrise: datetime
    twilights: dict[str, tuple[datetime, datetime]]
    start: datetime
    end: datetime
    times: Time
    local_era: np.ndarray
    moon_illumination: float
    moon_ra: np.ndarray
    moon_dec: np.ndarray

    @property
    def steps(self) -> int:
        """Number of grid times."""
        return len(self.times)

    @property
    def step(self) -> timedelta:
        """The grid step."""
        return timedelta(seconds=self.config.step_seconds)

    def time_at(self, index: int) -> datetime:
        """UTC datetime of grid step ``index``."""
        return self.start + index * self.step

    def index_at(self, when: datetime) -> int:
        """The first grid step at or after ``when`` (0 before the night, ``steps`` after)."""
        seconds = (when - self.start).total_seconds()
        return int(min(max(np.ceil(seconds / self.config.step_seconds), 0), self.steps))

    @property
    def hours(self) -> float:
        """Length of the planned night in hours (grid steps)."""
        return (self.steps - 1) * self.config.step_seconds / 3600


def observer(config: ObservingConfig) -> Observer:
    """astroplan's :class:`Observer` at the NTT (no pressure: refraction left out)."""
    location = EarthLocation.from_geodetic(config.longitude * u.deg, config.latitude * u.deg,
                                           config.elevation * u.m)
    return Observer(location=location, name="NTT", timezone="UTC")


def _utc(t: Time) -> datetime:
    if np.ma.is_masked(t.jd):
        raise PlanningError("the sun does not set or rise at the configured site that night")
    return t.to_datetime(timezone=UTC).replace(microsecond=0)


def night_model(night_date: date, config: ObservingConfig) -> NightModel:
    """Compute the night that begins in the evening of ``night_date`` at the NTT.

    Parameters
    ----------
    night_date : date
        Local date of the evening.
    config : ObservingConfig
        Site, twilight kind and grid step.

    Returns
    -------
    NightModel
    """
    with offline_iers():
        site = observer(config)
        noon = Time(datetime(night_date.year, night_date.month, night_date.day,
                             _LOCAL_NOON_UTC, tzinfo=UTC))
        sunset = site.sun_set_time(noon, which="next")
        sunrise = site.sun_rise_time(sunset, which="next")
        twilights = {
            kind: (_utc(getattr(site, f"twilight_evening_{kind}")(sunset, which="next")),
                   _utc(getattr(site, f"twilight_morning_{kind}")(sunset, which="next")))
            for kind in ("civil", "nautical", "astronomical")
        }
        start, end = twilights[config.twilight]
        count = int((end - start).total_seconds() // config.step_seconds) + 1
        times = Time(start) + np.arange(count) * config.step_seconds * u.s
        era = times.earth_rotation_angle(config.longitude * u.deg).to_value(u.deg)
        moon = get_body("moon", times, site.location).transform_to(
            CIRS(obstime=times, location=site.location))  # topocentric: parallax ~1 deg
        illumination = float(site.moon_illumination(times[count // 2]))
    return NightModel(night_date, config, _utc(sunset), _utc(sunrise), twilights, start, end,
                      times, np.asarray(era), illumination, moon.ra.deg, moon.dec.deg)


@dataclass(frozen=True)
class Tracks:
    """Altitude, hour angle and moon distance of N targets at each of the night's T steps."""

    altitude: np.ndarray  # (N, T) degrees
    hour_angle: np.ndarray  # (N, T) hours, -12..12
    moon_distance: np.ndarray  # (N, T) degrees

    def airmass(self, n: int) -> np.ndarray:
        """Plane-parallel airmass sec(z) of target ``n`` at each step, infinite below the
        horizon (one row: the scheduler asks for placed targets only)."""
        sin_alt = np.sin(np.radians(self.altitude[n]))
        return np.where(sin_alt > 0, 1 / np.where(sin_alt > 0, sin_alt, 1), np.inf)


def tracks(model: NightModel, ra: np.ndarray, dec: np.ndarray) -> Tracks:
    """Where targets at ICRS ``ra``/``dec`` (degrees) are at each step of the night."""
    ra, dec = np.atleast_1d(ra), np.atleast_1d(dec)
    with offline_iers():
        middle = model.times[len(model.times) // 2]
        apparent = SkyCoord(ra * u.deg, dec * u.deg).transform_to(CIRS(obstime=middle))
    ra_c, dec_c = np.radians(apparent.ra.deg)[:, None], np.radians(apparent.dec.deg)[:, None]
    hour_angle = np.radians(model.local_era)[None, :] - ra_c
    lat = np.radians(model.config.latitude)
    sin_alt = np.sin(lat) * np.sin(dec_c) + np.cos(lat) * np.cos(dec_c) * np.cos(hour_angle)
    altitude = np.degrees(np.arcsin(np.clip(sin_alt, -1, 1)))
    hours = (np.degrees(hour_angle) / 15 + 12) % 24 - 12
    moon_ra, moon_dec = np.radians(model.moon_ra)[None, :], np.radians(model.moon_dec)[None, :]
    cos_d = (np.sin(dec_c) * np.sin(moon_dec)
             + np.cos(dec_c) * np.cos(moon_dec) * np.cos(ra_c - moon_ra))
    return Tracks(altitude, hours, np.degrees(np.arccos(np.clip(cos_d, -1, 1))))


def current_night(now: datetime) -> date:
    """The night ``now`` (UTC) belongs to: the one whose local evening came last before it
    (until local noon at La Silla, the night that began the evening before)."""
    return (now - timedelta(hours=_LOCAL_NOON_UTC)).date()
