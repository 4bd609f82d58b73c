"""Registry of the optional ADQL features and user-defined functions we implement.

This is the single place the TAP capabilities document (TAPRegExt ``languageFeatures``)
is generated from: every entry of :data:`LANGUAGE_FEATURES` is a
``(type IVOID, form, description)`` triple.  The UDF declarations in :data:`UDFS` also
drive the parser (which function names exist) and the translator (result datatype).
"""

from __future__ import annotations

from dataclasses import dataclass

_TAPREGEXT = "ivo://ivoa.net/std/TAPRegExt#features-"


@dataclass(frozen=True, slots=True)
class UDF:
    """Declaration of one user-defined function.

    Parameters
    ----------
    name : str
        Lower-case function name as written in ADQL.
    form : str
        Signature in the TAPRegExt notation, e.g. ``ivo_hasword(a TEXT, b TEXT) -> INTEGER``.
    description : str
        What the function computes.
    min_args, max_args : int
        Accepted argument counts.
    datatype : str
        VOTable datatype of the result.
    aggregate : bool
        True for aggregate functions (``ivo_string_agg``).
    arraysize, xtype, unit : str or None
        Further result metadata (e.g. ``ivo_healpix_center`` returns a DALI point).
    """

    name: str
    form: str
    description: str
    min_args: int
    max_args: int
    datatype: str
    aggregate: bool = False
    arraysize: str | None = None
    xtype: str | None = None
    unit: str | None = None


UDFS: dict[str, UDF] = {
    u.name: u
    for u in (
        UDF(
            "ivo_healpix_index",
            "ivo_healpix_index(hpxOrder INTEGER, ra DOUBLE, dec DOUBLE) -> BIGINT",
            "Index of the HEALPix cell (NESTED scheme, order hpxOrder) containing ra, dec "
            "(degrees). A two-argument form ivo_healpix_index(hpxOrder, POINT) is accepted.",
            2, 3, "long",
        ),
        UDF(
            "ivo_healpix_center",
            "ivo_healpix_center(hpxOrder INTEGER, hpxIndex BIGINT) -> POINT",
            "Centre of the HEALPix cell hpxIndex (NESTED scheme) at order hpxOrder.",
            2, 2, "double", arraysize="2", xtype="point", unit="deg",
        ),
        UDF(
            "ivo_interval_overlaps",
            "ivo_interval_overlaps(l1 NUMERIC, h1 NUMERIC, l2 NUMERIC, h2 NUMERIC) -> INTEGER",
            "1 if the closed intervals [l1, h1] and [l2, h2] overlap, 0 otherwise.",
            4, 4, "int",
        ),
        UDF(
            "ivo_hasword",
            "ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER",
            "1 if needle occurs as a word (English stemming, case-insensitive) in haystack; "
            "uses PostgreSQL full-text search.",
            2, 2, "int",
        ),
        UDF(
            "ivo_nocasematch",
            "ivo_nocasematch(value TEXT, pattern TEXT) -> INTEGER",
            "1 if value matches the SQL LIKE pattern case-insensitively (ILIKE), else 0.",
            2, 2, "int",
        ),
        UDF(
            "ivo_string_agg",
            "ivo_string_agg(expr TEXT, delim TEXT) -> TEXT",
            "Aggregate: the non-NULL values of expr in a group joined with delim.",
            2, 2, "char", aggregate=True, arraysize="*",
        ),
        # ESO's own functions (archive.eso.org tap_obs), so that ESO's queries run unchanged.
        UDF(
            "eso_intersection",
            "ESO_INTERSECTION(region1 REGION, region2 REGION) -> DOUBLE",
            "Area in square degrees of the overlap of two regions (circles, polygons; 0 for a "
            "point), as at ESO; compare with AREA(). Exact for two circles and for two "
            "polygons of which one is convex; a circle meeting a polygon is taken as its "
            "inscribed 360-gon (at most 5.1e-5 of the circle's area too small). NULL for two "
            "non-convex polygons and for circles of 90 degrees or more.",
            2, 2, "double", unit="deg**2",
        ),
        UDF(
            "eso_dateadd_sec",
            "ESO_DATEADD_SEC(seconds INTEGER, date TIMESTAMP) -> TIMESTAMP",
            "The timestamp date moved by the given number of seconds (may be negative or "
            "fractional), as at ESO.",
            2, 2, "char", arraysize="*", xtype="timestamp",
        ),
    )
}


def _feature(kind: str, form: str, description: str) -> tuple[str, str, str]:
    return (_TAPREGEXT + kind, form, description)


_GEO = {
    "POINT": "POINT([coord_sys,] lon, lat): a point (DALI xtype point).",
    "CIRCLE": "CIRCLE([coord_sys,] lon, lat, radius) or CIRCLE(point, radius).",
    "BOX": "BOX([coord_sys,] lon, lat, width, height): converted to a four-vertex polygon.",
    "POLYGON": "POLYGON([coord_sys,] lon1, lat1, ...) or POLYGON(point, point, point, ...).",
    "REGION": "REGION(stcs): STC-S position, circle, box and polygon literals only.",
    "CENTROID": "CENTROID(geometry): centre of a circle, mean vertex direction of a polygon.",
    "AREA": "AREA(geometry): area in square degrees (exact spherical area).",
    "CONTAINS": "CONTAINS(a, b): 1 if a lies within b (exact spherical test, q3c-indexed).",
    "INTERSECTS": "INTERSECTS(a, b): 1 if a and b overlap (exact spherical test).",
    "DISTANCE": "DISTANCE(p1, p2) or DISTANCE(lon1, lat1, lon2, lat2): degrees.",
    "COORD1": "COORD1(point): longitude of a point.",
    "COORD2": "COORD2(point): latitude of a point.",
    "COORDSYS": "COORDSYS(geometry): always 'ICRS' here.",
}

#: Every optional language feature and UDF: (type IVOID, form, description).
LANGUAGE_FEATURES: list[tuple[str, str, str]] = [
    *(_feature("adqlgeo", form, desc) for form, desc in _GEO.items()),
    _feature("adql-string", "LOWER", "LOWER(str): lower-case a string."),
    _feature("adql-string", "UPPER", "UPPER(str): upper-case a string."),
    _feature("adql-string", "ILIKE", "a ILIKE pattern: case-insensitive LIKE."),
    _feature("adql-sets", "UNION", "Set union of two queries (UNION ALL keeps duplicates)."),
    _feature("adql-sets", "EXCEPT", "Set difference of two queries (EXCEPT ALL too)."),
    _feature("adql-sets", "INTERSECT", "Set intersection of two queries (INTERSECT ALL too)."),
    _feature("adql-common-table", "WITH", "Common table expressions at the top of a query."),
    _feature("adql-type", "CAST", "CAST(x AS type): numeric, character, TIMESTAMP and "
             "geometry (DALI serialisation) targets."),
    _feature("adql-unit", "IN_UNIT", "IN_UNIT(x, 'unit'): convert x to a compatible unit "
             "(needs the unit of x to be known)."),
    _feature("adql-offset", "OFFSET", "OFFSET n: skip the first n rows."),
    _feature("adql-conditional", "COALESCE", "COALESCE(a, b, ...): first non-NULL argument."),
    _feature("adql-conditional", "NULLIF", "NULLIF(a, b): NULL if a = b, else a."),
    _feature("adql-conditional", "CASE", "CASE [x] WHEN ... THEN ... [ELSE ...] END."),
    *(
        _feature("adql-bitwise", op, f"Bitwise {name} of integers.")
        for op, name in (("&", "AND"), ("|", "OR"), ("^", "XOR"), ("~", "NOT"))
    ),
]

#: The UDF declarations in TAPRegExt terms (``ivo://ivoa.net/std/TAPRegExt#features-udf``).
UDF_FEATURES: list[tuple[str, str, str]] = [
    ("ivo://ivoa.net/std/TAPRegExt#features-udf", u.form, u.description) for u in UDFS.values()
]
LANGUAGE_FEATURES.extend(UDF_FEATURES)
