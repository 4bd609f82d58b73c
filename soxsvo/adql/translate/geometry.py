"""Geometry: ADQL shapes as DALI arrays, and predicates that use the q3c index.

Values are ``double precision[]`` in DALI layout: point ``[lon, lat]``, circle
``[lon, lat, r]``, polygon ``[lon1, lat1, lon2, lat2, ...]`` (degrees).  Array lengths
never collide (2, 3, even >= 6), so the exact SQL functions
(``soxsvo/db/sql/repeatable/adql_functions.sql``) dispatch
on length.  Whenever a point's coordinates are known we emit q3c calls instead, which use
the ``q3c_ang2ipix(ra, dec)`` index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from soxsvo.adql.errors import ADQLUnsupportedError, ADQLValidationError
from soxsvo.adql.translate.scope import Val
from soxsvo.db.metadata import ColumnMeta

#: Schema of the SQL helper functions (see ``soxsvo/db/sql/repeatable/adql_functions.sql``).
SQL_SCHEMA = "soxs_adql"

_ARRAYSIZE = {"point": "2", "circle": "3", "polygon": "*"}

#: Largest polygon diameter (degrees) handed to q3c_poly_query: q3c refuses polygons
#: above ~23 degrees and, in our tests, misses points in large or pole-crossing ones.
Q3C_POLY_MAX_DIAMETER = 10.0
#: Runs a query of the largest fov of a table (``SELECT max(s_fov) FROM ...``); its answer
#: (degrees, None for an empty table) bounds the q3c cone of region predicates.
FovBound = Callable[[str], float | None]

_LITERAL = re.compile(r"\(- ([0-9.eE+-]+)\)|([0-9.eE+-]+)")


def literal(sql: str) -> float | None:
    """The value of a numeric literal as the translator writes it, else None."""
    m = _LITERAL.fullmatch(sql)
    if m is None:
        return None
    try:
        return -float(m.group(1)) if m.group(1) else float(m.group(2))
    except ValueError:
        return None


def _unit(lon: float, lat: float) -> tuple[float, float, float]:
    lon, lat = math.radians(lon), math.radians(lat)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def bounding_circle(coords: list[float]) -> tuple[float, float, float] | None:
    """(lon, lat, radius) of a circle around a polygon: mean vertex direction, max distance."""
    verts = [_unit(coords[i], coords[i + 1]) for i in range(0, len(coords), 2)]
    cx, cy, cz = (sum(v[k] for v in verts) for k in range(3))
    norm = math.sqrt(cx * cx + cy * cy + cz * cz)
    if norm < 1e-9:
        return None
    c = (cx / norm, cy / norm, cz / norm)
    radius = max(math.degrees(math.acos(max(-1.0, min(1.0, sum(a * b for a, b in zip(
        c, v, strict=True)))))) for v in verts)
    lon = math.degrees(math.atan2(c[1], c[0])) % 360.0
    lat = math.degrees(math.asin(max(-1.0, min(1.0, c[2]))))
    return lon, lat, radius


def geom_meta(shape: str | None) -> ColumnMeta:
    """Result metadata of a geometry value (DALI xtype, double array)."""
    return ColumnMeta(
        "expr", "double", _ARRAYSIZE.get(shape, "*"), shape, unit="deg",
        ucd=None,
    )


def _array(coords: tuple[str, ...]) -> str:
    return f"CAST(ARRAY[{', '.join(coords)}] AS double precision[])"


def _check_literals(shape: str, coords: tuple[str, ...]) -> None:
    """Refuse a geometry whose literal coordinates no sphere has: checked here, because q3c
    answers a latitude beyond 90 degrees with an internal error (once an HTTP 500)."""
    latitudes = coords[1::2] if shape == "polygon" else coords[1:2]
    for text in latitudes:
        value = literal(text)
        if value is not None and not -90.0 <= value <= 90.0:
            raise ADQLValidationError(f"{shape.upper()}: latitude {value:g} is outside "
                                      "[-90, 90] degrees")
    if shape == "circle":
        radius = literal(coords[2])
        if radius is not None and not 0.0 <= radius <= 180.0:
            raise ADQLValidationError(f"CIRCLE: radius {radius:g} must be between 0 and 180 "
                                      "degrees")


def make(shape: str, coords: tuple[str, ...], const: bool,
         parts: tuple[Val, ...] | None = None) -> Val:
    """A geometry built from known coordinate SQL snippets (and the values they came from)."""
    _check_literals(shape, coords)
    return Val(_array(coords), geom_meta(shape), shape, coords, const, parts=parts,
               uploaded=parts is not None and any(p.uploaded for p in parts[:2]))


def point(args: list[Val]) -> Val:
    x, y = args
    return make("point", (x.sql, y.sql), x.const and y.const, (x, y))


def circle(args: list[Val]) -> Val:
    if len(args) == 3:
        x, y, r = args
        return make("circle", (x.sql, y.sql, r.sql), x.const and y.const and r.const,
                    (x, y, r))
    centre, r = args
    if centre.coords is not None and len(centre.coords) == 2:
        parts = (*centre.parts, r) if centre.parts else None
        return make("circle", (*centre.coords, r.sql), centre.const and r.const, parts)
    sql = f"({centre.sql} || CAST({r.sql} AS double precision))"
    return Val(sql, geom_meta("circle"), "circle", None, centre.const and r.const)


def box_vertices(lon: float, lat: float, width: float, height: float) -> list[float]:
    """The four vertices of an ADQL 2.1 BOX, (lon, lat) pairs in degrees.

    ADQL 2.1 (after STC): arms along the great circles through the centre parallel to the
    coordinate axes, ``width / 2`` and ``height / 2`` long on either side; the sides are the
    great circles crossing the arms' ends at right angles. With the centre at (0, 0) the
    sides are the meridians at +-a and the great circles with poles at (180, +-(90 - b)),
    which meet at latitude atan(tan b cos a); the vertices are then rotated to the centre.
    This is not the box of corners (lon +- width/2, lat +- height/2): off the equator a
    width in degrees of longitude is shorter than the arm (cos lat), and near a pole the
    corners come apart from the box altogether.

    Raises
    ------
    ADQLValidationError
        Where the box is not defined: a centre at a pole (no orientation), a width or
        height outside (0, 180).
    """
    _check_box(lat, width, height)
    a, b = math.radians(width / 2), math.radians(height / 2)
    corner_lat = math.atan(math.tan(b) * math.cos(a))
    c_lon, c_lat = math.radians(lon), math.radians(lat)
    out = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y, z = _unit(math.degrees(sx * a), math.degrees(sy * corner_lat))
        # Latitude first (about y: (1, 0, 0) goes to the centre's latitude), then longitude.
        x, z = x * math.cos(c_lat) - z * math.sin(c_lat), x * math.sin(c_lat) + z * math.cos(c_lat)
        x, y = x * math.cos(c_lon) - y * math.sin(c_lon), x * math.sin(c_lon) + y * math.cos(c_lon)
        out += [math.degrees(math.atan2(y, x)) % 360.0, math.degrees(math.asin(max(-1, min(1, z))))]
    return out


def _check_box(lat: float, width: float, height: float) -> None:
    if abs(lat) >= 90:
        raise ADQLValidationError("BOX: a box centred on a pole has no orientation (its "
                                  "arms follow the coordinate axes at the centre); use a "
                                  "POLYGON or a CIRCLE there")
    for name, size in (("width", width), ("height", height)):
        if not 0 < size < 180:
            raise ADQLValidationError(f"BOX: the {name} must be between 0 and 180 degrees, "
                                      f"not {size!r}")


def box(args: list[Val]) -> Val:
    """BOX as the polygon of its exact vertices (:func:`box_vertices`): computed here for
    numbers (q3c then serves it as any polygon), by ``soxs_adql.box`` in SQL otherwise."""
    if len(args) == 3:
        centre, w, h = args
        if centre.coords is None:
            raise ADQLUnsupportedError("BOX needs a centre given by coordinates or POINT(x, y)")
        if len(centre.coords) != 2:
            raise ADQLValidationError("BOX: the centre must be a POINT, not a "
                                      f"{(centre.shape or 'region').upper()}")
        x, y = centre.coords
        const = centre.const and w.const and h.const
    else:
        xv, yv, w, h = args
        x, y, const = xv.sql, yv.sql, xv.const and yv.const and w.const and h.const
    nums = [literal(v) for v in (x, y, w.sql, h.sql)]
    if None not in nums:
        return make("polygon", tuple(repr(c) for c in box_vertices(*nums)), const)
    sql = _fn("box", *(f"CAST({v} AS double precision)" for v in (x, y, w.sql, h.sql)))
    return Val(sql, geom_meta("polygon"), "polygon", None, const)


def polygon(args: list[Val]) -> Val:
    if all(a.shape == "point" or a.meta.xtype == "point" for a in args):
        if all(a.coords is not None for a in args):
            coords = tuple(c for a in args for c in a.coords)
            return make("polygon", coords, all(a.const for a in args))
        sql = "(" + " || ".join(a.sql for a in args) + ")"
        return Val(sql, geom_meta("polygon"), "polygon", None, all(a.const for a in args))
    return make("polygon", tuple(a.sql for a in args), all(a.const for a in args))


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_FRAMES = {"ICRS", "FK5", "FK4", "J2000", "GALACTIC", "ECLIPTIC", "UNKNOWNFRAME"}


def region(text: str, placeholder_value) -> Val:
    """Translate the STC-S literal of ``REGION('...')`` (simple shapes only).

    Parameters
    ----------
    text : str
        The STC-S string.
    placeholder_value : callable
        Turns a Python float into SQL text (numbers are validated here, so inline).
    """
    words = text.split()
    if not words:
        raise ADQLUnsupportedError("empty REGION string")
    shape = words[0].upper()
    rest = words[1:]
    if rest and rest[0].upper() in _FRAMES:
        rest = rest[1:]
    if not all(re.fullmatch(_NUMBER, w) for w in rest):
        raise ADQLUnsupportedError(
            "REGION supports only 'Position', 'Circle', 'Box' and 'Polygon' STC-S strings "
            "with a frame and numbers"
        )
    nums = tuple(placeholder_value(float(w)) for w in rest)
    wanted = {"POSITION": 2, "CIRCLE": 3, "BOX": 4}
    if shape in wanted and len(nums) == wanted[shape]:
        if shape == "POSITION":
            return make("point", nums, True)
        if shape == "CIRCLE":
            return make("circle", nums, True)
        nv = [Val(s, geom_meta(None), const=True) for s in nums]
        return box(nv)
    if shape == "POLYGON" and len(nums) >= 6 and len(nums) % 2 == 0:
        return make("polygon", nums, True)
    raise ADQLUnsupportedError(f"unsupported or malformed STC-S region {text!r}")


def _fn(name: str, *args: str) -> str:
    return f"{SQL_SCHEMA}.{name}({', '.join(args)})"


def centroid(g: Val) -> Val:
    if g.shape == "circle" and g.coords is not None:
        return make("point", g.coords[:2], g.const)
    return Val(_fn("centroid", g.sql), geom_meta("point"), "point")


def coord(g: Val, index: int) -> str:
    if g.coords is not None and g.shape == "point":
        return g.coords[index]
    return f"({g.sql})[{index + 1}]"


def distance(a: Val, b: Val) -> str:
    """SQL for DISTANCE(a, b) in degrees."""
    if a.shape == "point" and b.shape == "point" and a.coords and b.coords:
        return f"q3c_dist({a.coords[0]}, {a.coords[1]}, {b.coords[0]}, {b.coords[1]})"
    return _fn("distance", a.sql, b.sql)


def distance_within(a: Val, b: Val, radius: str) -> str | None:
    """``DISTANCE(a, b) < radius`` as an indexable q3c_join, if both are known points."""
    if not (a.shape == "point" and b.shape == "point" and a.coords and b.coords):
        return None
    # q3c_join uses the index on its second pair: a constant goes first; so does an uploaded
    # point against an archive table's, whatever the order the user wrote (the other way
    # round, a 2,000,000-row catalogue probes a 10,000-row upload: 50 times slower).
    if (a.const is False and b.const) or (b.uploaded and not a.uploaded and not a.const):
        a, b = b, a
    return f"q3c_join({a.coords[0]}, {a.coords[1]}, {b.coords[0]}, {b.coords[1]}, {radius})"


def _bounding(g: Val) -> tuple[str, str, str] | None:
    """(lon, lat, radius) SQL of a circle around ``g``, if known cheaply."""
    if g.coords is None:
        return None
    if g.shape == "point":
        return g.coords[0], g.coords[1], "0"
    if g.shape == "circle":
        return g.coords
    values = [literal(c) for c in g.coords]
    if g.shape == "polygon" and None not in values:
        bound = bounding_circle(values)
        # A cap under a hemisphere is convex: it holds the polygon's edges, not just corners.
        if bound is not None and bound[2] < 90:
            lon, lat, radius = bound
            return repr(lon), repr(lat), repr(radius * (1 + 1e-9))
    return None


def predicate(name: str, a: Val, b: Val, max_fov: FovBound | None = None) -> str:
    """SQL boolean for ``CONTAINS(a, b) = 1`` or ``INTERSECTS(a, b) = 1``."""
    if name == "INTERSECTS" and b.shape == "point" and a.shape != "point":
        a, b = b, a  # a point intersects a region iff the region contains it
    if a.shape == "point" and a.coords is not None and b.coords is not None:
        if b.shape == "circle":
            if b.parts and not (b.parts[0].const and b.parts[1].const):
                return _point_in_circles(a, b)
            x, y, r = b.coords
            return f"q3c_radial_query({a.coords[0]}, {a.coords[1]}, {x}, {y}, {r})"
        if b.shape == "polygon":
            return _point_in_polygon(a, b)
    exact = _fn("contains" if name == "CONTAINS" else "intersects", a.sql, b.sql)
    coarse = _coarse(a, b, max_fov)
    return f"({coarse} AND {exact})" if coarse else exact


def _point_in_circles(a: Val, b: Val) -> str:
    """CONTAINS(point, circle) when the circle's centre changes per row: a join, so
    q3c_join (four index ranges per probe, where q3c_radial_query spells out a hundred).

    Both test the same strict distance, so the order of the two positions is free: the
    second pair is the indexed one, normally the point's; the circles' centres when the
    point is a constant, or an uploaded point against centres from an archive table with a
    radius known per uploaded row (each uploaded row probes the archive's index).
    """
    (px, py), (x, y, r) = a.coords, b.coords
    radius = b.parts[2]
    upload_probes = (a.uploaded and not b.uploaded and not a.const
                     and (radius.const or radius.uploaded))
    if a.const or upload_probes:
        return f"q3c_join({px}, {py}, {x}, {y}, {r})"
    return f"q3c_join({x}, {y}, {px}, {py}, {r})"


def _point_in_polygon(a: Val, b: Val) -> str:
    x, y = a.coords[0], a.coords[1]
    values = [literal(c) for c in b.coords]
    if None not in values:
        bound = bounding_circle(values)
        if bound is not None and 2 * bound[2] <= Q3C_POLY_MAX_DIAMETER:
            return f"q3c_poly_query({x}, {y}, ARRAY[{', '.join(b.coords)}])"
        if bound is not None and bound[2] < 90:
            # Too large for q3c polygons: q3c cone around it (index), then exact test.
            lon, lat, radius = bound
            return (f"(q3c_radial_query({x}, {y}, {lon!r}, {lat!r}, {radius * (1 + 1e-9)!r})"
                    f" AND {_fn('point_in_polygon', x, y, b.sql)})")
    return f"coalesce({_fn('point_in_polygon', x, y, b.sql)}, false)"


def _coarse(a: Val, b: Val, max_fov: FovBound | None) -> str | None:
    """A q3c pre-filter when one side is a region column with centre and size."""
    for reg, other in ((a.region, b), (b.region, a)):
        if reg is None:
            continue
        ra, dec, fov, largest = reg
        if other.region is not None:
            ora, odec, ofov, _ = other.region
            return f"q3c_join({ora}, {odec}, {ra}, {dec}, ({fov}) / 2.0 + ({ofov}) / 2.0)"
        bound = _bounding(other)
        if bound is None:
            return None
        x, y, r = bound
        per_row = f"q3c_join({x}, {y}, {ra}, {dec}, ({r}) + ({fov}) / 2.0)"
        fov_bound = (max_fov(largest) if max_fov is not None and largest is not None
                     and other.const else None)
        if fov_bound is not None:
            # A constant radius lets q3c_join drive an index scan on (ra, dec); the per-row
            # cone and the exact test then run on the rows the index gives (their costs put
            # them after it). The bound is a number, not a subquery: PostgreSQL does not
            # inline q3c_join when an argument used several times holds a subquery.
            return (f"(q3c_join({x}, {y}, {ra}, {dec}, ({r}) + {float(fov_bound) / 2.0!r})"
                    f" AND {per_row})")
        return per_row
    return None


def area(g: Val) -> str:
    return _fn("area", g.sql)
