"""A SIA query as ADQL over ``ivoa.obscore``: its images, in ObsCore columns.

Written in ADQL and translated by :mod:`soxsvo.tap.query`, so the answer's columns, types and
geometry (``INTERSECTS`` with its q3c prefilter on ``s_ra``/``s_dec``/``s_fov``) are TAP's,
declared once. Values reach the ADQL text as ``repr`` of checked floats or as string literals
(which the translator passes to PostgreSQL as parameters).
"""

from __future__ import annotations

import psycopg

from soxsvo.sia.bounds import bounding_circle
from soxsvo.sia.params import (
    OVERLAP_INTERVALS,
    STRING_PARAMS,
    VALUE_INTERVALS,
    Circle,
    ImageQuery,
    Polygon,
    Range,
    Shape,
)
from soxsvo.tap.query import PreparedQuery, prepare

#: Data product types SIA 2.0 serves (images and cubes); spectra are SSA's.
IMAGE_TYPES = ("image", "cube")


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _any(conditions: list[str]) -> str:
    return "(" + " OR ".join(conditions) + ")"


def _ra_segment(lo: float, hi: float) -> str:
    """The footprint's bounding circle meets RA [lo, hi], RA taken modulo 360."""
    half = "s_fov / 2 / COS(RADIANS(s_dec))"
    return _any([f"(s_ra + {shift!r} + {half} >= {lo!r} AND s_ra + {shift!r} - {half} <= {hi!r})"
                 for shift in (-360.0, 0.0, 360.0)])


def _range(shape: Range) -> str:
    """RANGE: the footprint's bounding circle (centre s_ra/s_dec, diameter s_fov) meets the
    coordinate range.

    A superset of exact footprint overlap by at most the corners of an image's bounding circle
    (arcminutes for the acquisition camera). Why not INTERSECTS: a RANGE is bounded by
    small circles of constant declination, which ADQL's great-circle polygons do not describe.
    """
    dec = f"s_dec + s_fov / 2 >= {shape.dec_min!r} AND s_dec - s_fov / 2 <= {shape.dec_max!r}"
    if shape.all_ra:
        return f"({dec})"
    segments = ([(shape.ra_min, shape.ra_max)] if shape.ra_min <= shape.ra_max
                else [(shape.ra_min, 360.0), (0.0, shape.ra_max)])
    # A footprint reaching a pole covers every right ascension.
    ra = _any(["s_dec + s_fov / 2 >= 90", "s_dec - s_fov / 2 <= -90",
               *(_ra_segment(lo, hi) for lo, hi in segments)])
    return f"({dec} AND {ra})"


def _prefilter(shape: Shape, max_fov: float | None) -> str | None:
    """An index-driven cone holding the centre of every image that may overlap ``shape``:
    its bounding circle widened by half the largest image (None: no such cone)."""
    bound = bounding_circle(shape)
    if bound is None or max_fov is None:
        return None
    ra, dec, radius = bound
    radius += max_fov / 2.0
    if radius >= 180.0:
        return None
    return (f"1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', {ra!r}, {dec!r}, "
            f"{radius!r}))")


def shape_condition(shape: Shape, max_fov: float | None = None) -> str:
    """ADQL for ``shape`` overlapping an image's footprint, after the q3c pre-filter when
    ``max_fov`` (the largest ``s_fov`` of the images, degrees) is known.

    Why a pre-filter of our own: the translator's coarse test of INTERSECTS widens the circle
    by each row's own ``s_fov``, a radius q3c cannot take to its index; a constant one can.
    """
    exact = _exact(shape)
    cone = _prefilter(shape, max_fov)
    return f"({cone} AND {exact})" if cone else exact


def _exact(shape: Shape) -> str:
    if isinstance(shape, Circle):
        return (f"1 = INTERSECTS(s_region, CIRCLE('ICRS', {shape.ra!r}, {shape.dec!r}, "
                f"{shape.radius!r}))")
    if isinstance(shape, Polygon):
        numbers = ", ".join(f"{v!r}" for pair in shape.vertices for v in pair)
        return f"1 = INTERSECTS(s_region, POLYGON('ICRS', {numbers}))"
    return _range(shape)


def _between(column: str, lo: float, hi: float, lo_column: str | None = None) -> str:
    """``column`` (or [lo_column, column] overlapping) within [lo, hi]; infinite ends drop."""
    parts = []
    if lo != float("-inf"):
        parts.append(f"{column} >= {lo!r}")
    if hi != float("inf"):
        parts.append(f"{lo_column or column} <= {hi!r}")
    return "(" + (" AND ".join(parts) or f"{column} IS NOT NULL") + ")"


def conditions(query: ImageQuery, max_fov: float | None = None) -> list[str]:
    """The ADQL conditions of ``query``, all of which must hold."""
    where = ["dataproduct_type IN (" + ", ".join(map(_string, IMAGE_TYPES)) + ")"]
    if "ID" not in query.strings:
        # Asking for a DID by name finds it even when a newer version replaced it.
        where.append("(superseded IS NULL OR superseded = 'f')")
    if query.shapes:
        where.append(_any([shape_condition(s, max_fov) for s in query.shapes]))
    for name, intervals in query.overlaps.items():
        lo_col, hi_col = OVERLAP_INTERVALS[name]
        where.append(_any([_between(hi_col, lo, hi, lo_col) for lo, hi in intervals]))
    for name, intervals in query.values.items():
        where.append(_any([_between(VALUE_INTERVALS[name], lo, hi) for lo, hi in intervals]))
    for name, values in query.strings.items():
        where.append(f"{STRING_PARAMS[name]} IN (" + ", ".join(map(_string, values)) + ")")
    if query.pol:
        where.append(_any([f"pol_states LIKE {_string('%/' + s + '/%')}" for s in query.pol]))
    if query.calib:
        where.append("calib_level IN (" + ", ".join(map(str, query.calib)) + ")")
    return where


def image_adql(query: ImageQuery, max_fov: float | None = None) -> str:
    """The ADQL of ``query``: ``maxrec + 1`` rows (the extra one tells overflow apart from an
    exact fit), oldest first."""
    return (f"SELECT TOP {query.maxrec + 1} * FROM ivoa.obscore WHERE "
            + " AND ".join(conditions(query, max_fov)) + " ORDER BY t_min, obs_publisher_did")


def largest_fov(conn: psycopg.Connection) -> float | None:
    """The largest ``s_fov`` (degrees) of the images the caller sees (None: no image).

    Read in the caller's reader transaction: an image hidden from the caller cannot be found
    by it anyway. Backed by the index of migration 130.
    """
    row = conn.execute(
        "SELECT max(s_fov) FROM (SELECT max(s_fov) AS s_fov FROM ivoa.obscore "
        "WHERE dataproduct_type = %s UNION ALL SELECT max(s_fov) FROM ivoa.obscore "
        "WHERE dataproduct_type = %s) AS each_type", IMAGE_TYPES).fetchone()
    return None if row[0] is None else float(row[0])


def prepare_images(query: ImageQuery, max_fov: float | None = None) -> PreparedQuery:
    """The translated query of ``query`` (pre-filtered by q3c when ``max_fov`` is known)."""
    return prepare(image_adql(query, max_fov))
