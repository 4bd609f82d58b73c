"""Bounding circles of SIA regions, for the q3c pre-filter of :mod:`soxsvo.sia.query`.

A circle around a region, widened by half the largest image, contains the centre of every
image that can overlap the region: a constant radius q3c can answer from its index before the
exact (costly) footprint test runs on the few rows left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from soxsvo.sia.params import Circle, Polygon, Range, Shape

#: Points sampled on each edge of a RANGE: its edges of constant declination are small
#: circles, which bulge out of the cap through the corners.
RANGE_EDGE_POINTS = 32


def _vector(ra: float, dec: float) -> tuple[float, float, float]:
    a, d = math.radians(ra), math.radians(dec)
    return math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)


def _angle(u: tuple[float, float, float], v: tuple[float, float, float]) -> float:
    dot = max(-1.0, min(1.0, sum(a * b for a, b in zip(u, v, strict=True))))
    return math.degrees(math.acos(dot))


def _cap(points: Iterable[tuple[float, float]]) -> tuple[float, float, float] | None:
    """Centre and radius (deg) of a cap holding ``points``; None past a hemisphere."""
    vectors = [_vector(ra, dec) for ra, dec in points]
    sx, sy, sz = (sum(v[i] for v in vectors) for i in range(3))
    norm = math.sqrt(sx * sx + sy * sy + sz * sz)
    if norm < 1e-9:
        return None
    centre = (sx / norm, sy / norm, sz / norm)
    # Rounding of the last bits must not leave a vertex outside: 1e-7 degrees is 0.4 mas.
    radius = max(_angle(centre, v) for v in vectors) + 1e-7
    if radius >= 90.0:
        return None
    ra = math.degrees(math.atan2(centre[1], centre[0])) % 360.0
    dec = math.degrees(math.asin(max(-1.0, min(1.0, centre[2]))))
    return ra, dec, radius


def _range_outline(shape: Range) -> list[tuple[float, float]]:
    width = (shape.ra_max - shape.ra_min) % 360.0 or 360.0
    steps = range(RANGE_EDGE_POINTS + 1)
    ras = [shape.ra_min + width * i / RANGE_EDGE_POINTS for i in steps]
    decs = [shape.dec_min + (shape.dec_max - shape.dec_min) * i / RANGE_EDGE_POINTS
            for i in steps]
    return ([(ra, shape.dec_min) for ra in ras] + [(ra, shape.dec_max) for ra in ras]
            + [(shape.ra_min, dec) for dec in decs] + [(shape.ra_max, dec) for dec in decs])


def bounding_circle(shape: Shape) -> tuple[float, float, float] | None:
    """(ra, dec, radius) in degrees of a circle containing ``shape``, or None when no circle
    smaller than a hemisphere does (the pre-filter is then left out)."""
    if isinstance(shape, Circle):
        return shape.ra, shape.dec, shape.radius
    if isinstance(shape, Polygon):
        # A cap under 90 degrees is convex: holding the vertices, it holds the edges.
        return _cap(shape.vertices)
    if shape.all_ra:
        return None
    cap = _cap(_range_outline(shape))
    if cap is None:
        return None
    # Between two sampled points a small circle strays from the cap by far less than this.
    return cap[0], cap[1], cap[2] * 1.001 + 1e-6
