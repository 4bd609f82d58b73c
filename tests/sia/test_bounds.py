"""The bounding circles of SIA regions hold the whole region (else the pre-filter would drop
images that overlap it)."""

from __future__ import annotations

import math

import pytest

from soxsvo.sia.bounds import bounding_circle
from soxsvo.sia.params import Circle, Polygon, Range


def _distance(ra1, dec1, ra2, dec2) -> float:
    a1, d1, a2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    cos = (math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(a1 - a2))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


@pytest.mark.parametrize("shape", [Range(350, 10, 55, 70), Range(100, 130, -89, -60),
                                   Range(10, 10.5, -0.2, 0.2)])
def test_range_inside_its_circle(shape):
    ra, dec, radius = bounding_circle(shape)
    width = (shape.ra_max - shape.ra_min) % 360
    for i in range(201):
        for j in range(201):
            point_ra = shape.ra_min + width * i / 200
            point_dec = shape.dec_min + (shape.dec_max - shape.dec_min) * j / 200
            assert _distance(ra, dec, point_ra, point_dec) <= radius


def test_polygon_and_circle():
    ra, dec, radius = bounding_circle(Polygon(((10, 10), (12, 10), (11, 13))))
    for vertex in ((10, 10), (12, 10), (11, 13)):
        assert _distance(ra, dec, *vertex) <= radius
    assert bounding_circle(Circle(1, 2, 3)) == (1, 2, 3)


def test_no_circle_for_regions_beyond_a_hemisphere():
    assert bounding_circle(Range(0, 360, -10, 10)) is None
    assert bounding_circle(Range(0, 200, -10, 10)) is None
