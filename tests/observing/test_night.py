"""The night model against independent computations, and offline."""

from __future__ import annotations

import socket
from datetime import date

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, SkyCoord, get_body, get_sun
from astropy.time import Time

from soxsvo.observing.night import night_model, observer, offline_iers, tracks
from tests.observing.helpers import config, night


def _sun_altitude(when) -> float:
    site = observer(config())
    with offline_iers():
        t = Time(when)
        return float(get_sun(t).transform_to(AltAz(obstime=t, location=site.location)).alt.deg)


@pytest.mark.parametrize("kind, depression", [("civil", -6), ("nautical", -12),
                                              ("astronomical", -18)])
def test_twilights_are_where_astropy_puts_the_sun_to_the_minute(kind, depression) -> None:
    # The sun moves ~0.25 deg a minute near the horizon at La Silla: within a minute is 0.3 deg.
    evening, morning = night().twilights[kind]
    assert _sun_altitude(evening) == pytest.approx(depression, abs=0.3)
    assert _sun_altitude(morning) == pytest.approx(depression, abs=0.3)
    assert evening.hour in (23, 0, 1) and morning.hour in (7, 8, 9, 10)


def test_night_is_between_evening_and_morning_nautical_twilight() -> None:
    model = night()
    assert model.start == model.twilights["nautical"][0]
    assert model.end == model.twilights["nautical"][1]
    assert 7.5 < model.hours < 8.5  # December: short nights in Chile
    assert model.moon_illumination < 0.05  # new moon on 2026-12-09


def test_altitudes_and_moon_distance_agree_with_astropy_altaz() -> None:
    model = night()
    ra, dec = np.array([10.0, 150.0, 250.0]), np.array([-30.0, -70.0, 10.0])
    track = tracks(model, ra, dec)
    site = observer(config())
    times = model.times[::40]
    with offline_iers():
        frame = AltAz(obstime=times, location=site.location)
        moon = get_body("moon", times, site.location)
        for n in range(3):
            altaz = SkyCoord(ra[n] * u.deg, dec[n] * u.deg).transform_to(frame)
            np.testing.assert_allclose(track.altitude[n, ::40], altaz.alt.deg, atol=0.01)
            sep = moon.separation(SkyCoord(ra[n] * u.deg, dec[n] * u.deg).transform_to(moon))
            np.testing.assert_allclose(track.moon_distance[n, ::40], sep.deg, atol=0.05)


def test_planning_never_touches_the_network(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the night model tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    model = night_model(date(2027, 6, 20), config())  # beyond the bundled IERS predictions
    assert 11.5 < model.hours < 12.5  # a winter night at La Silla
