"""MOC serialisations read back by mocpy; regions read from MOCs and LVK sky maps."""

from __future__ import annotations

import gzip
import os
import tempfile

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from mocpy import MOC, STMOC, TimeMOC

from soxsvo.moc.serialize import MOCInputError, moc_bytes, read_region
from soxsvo.moc.skymap import SkyMapError, credible_region, probability_inside

from .helpers import gaussian_skymap, skymap_fits


def _mocs():
    ra, dec = np.array([0.0, 359.99, 120.0]) * u.deg, np.array([90.0, -89.9, 0.0]) * u.deg
    t0 = Time([61000.0, 61000.3, 61400.0], format="mjd", scale="utc")
    t1 = Time([61000.1, 61000.4, 61400.2], format="mjd", scale="utc")
    return {"space": MOC.from_lonlat(ra, dec, max_norder=10),
            "time": TimeMOC.from_time_ranges(t0, t1, order=35),
            "spacetime": STMOC.from_time_ranges_positions(t0, t1, ra, dec, time_depth=35,
                                                          spatial_depth=10)}


def _read_back(cls, data: bytes, fmt: str):
    if fmt != "fits":
        return cls.from_string(data.decode(), format=fmt)
    handle, path = tempfile.mkstemp(suffix=".fits")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    try:
        return cls.load(path, format="fits")
    finally:
        os.unlink(path)


@pytest.mark.parametrize("fmt", ["fits", "json", "ascii"])
@pytest.mark.parametrize("kind", ["space", "time", "spacetime"])
def test_round_trip(kind: str, fmt: str) -> None:
    moc = _mocs()[kind]
    again = _read_back(type(moc), moc_bytes(moc, fmt), fmt)
    assert again == moc


@pytest.mark.parametrize("fmt", ["fits", "json", "ascii"])
def test_read_region_from_moc(fmt: str) -> None:
    moc = _mocs()["space"]
    assert read_region(moc_bytes(moc, fmt)) == moc


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello world", "neither"),
    (b"\x00\x01binary", "neither"),
    (b"t35/1-3 s10/4", "neither"),
    (b"\x1f\x8bnot gzip really", "gzip"),
])
def test_bad_regions(data: bytes, message: str) -> None:
    with pytest.raises(MOCInputError, match=message):
        read_region(data)


def test_time_moc_is_not_a_query_region() -> None:
    with pytest.raises(MOCInputError, match="TIME"):
        read_region(moc_bytes(_mocs()["time"], "fits"))


def test_credible_region_of_gaussian_skymap() -> None:
    uniq, dens = gaussian_skymap(150.0, -30.0, sigma_deg=4.0)
    region = read_region(gzip.compress(skymap_fits(uniq, dens)), credible=0.9)
    inside = probability_inside(uniq, dens, region)
    # Greedy by density on cells of finite size: the crossing cell overshoots a little.
    assert 0.9 <= inside < 0.91
    # A 2D Gaussian's 90% region is a disc of radius sigma * sqrt(-2 ln 0.1).
    radius = 4.0 * np.sqrt(-2 * np.log(0.1))
    expected = np.pi * radius ** 2
    assert region.sky_fraction * 41252.96 == pytest.approx(expected, rel=0.05)
    assert region.contains_lonlat([150.0] * u.deg, [-30.0] * u.deg)[0]
    assert probability_inside(uniq, dens, read_region(skymap_fits(uniq, dens), 0.5)) < 0.52


def test_credible_region_at_level_one_holds_all_probability() -> None:
    uniq, dens = gaussian_skymap(10.0, 80.0, sigma_deg=3.0, base_order=2, fine_order=5)
    region = credible_region(uniq, dens, 1.0)
    assert probability_inside(uniq, dens, region) == pytest.approx(1.0)
    # Cells whose density underflowed to zero add nothing and are left out.
    assert region.sky_fraction < 0.1


@pytest.mark.parametrize("level", [0.0, -0.1, 1.5, float("nan")])
def test_bad_credible_levels(level: float) -> None:
    uniq, dens = gaussian_skymap(10.0, 0.0, sigma_deg=3.0, base_order=2, fine_order=4)
    with pytest.raises(SkyMapError):
        credible_region(uniq, dens, level)
