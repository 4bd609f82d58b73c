"""Catalogue of the ADQL 2.1 built-in functions: arity and value kind.

The parser uses it to reject calls with a wrong number of arguments (``ABS()``), the
translator to pick result datatypes.  Kinds are coarse: ``num``, ``str``, ``geom``,
``bool`` or ``any`` (unknown until names are resolved).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """Signature summary of one function.

    Parameters
    ----------
    name : str
        Upper-case ADQL name.
    min_args, max_args : int
        Accepted argument counts (``max_args`` None: unbounded).
    kind : str
        Kind of the value returned (see module docstring).
    group : str
        ``math``, ``trig``, ``aggregate``, ``geometry``, ``string``, ``conditional``,
        ``unit`` or ``bitwise`` - used for documentation and feature declarations.
    """

    name: str
    min_args: int
    max_args: int | None
    kind: str
    group: str


def _specs(group: str, kind: str, entries: str) -> dict[str, FunctionSpec]:
    out = {}
    for entry in entries.split():
        name, counts = entry.split(":")
        low, _, high = counts.partition("-")
        upper = None if high == "n" else int(high or low)
        out[name] = FunctionSpec(name, int(low), upper, kind, group)
    return out


BUILTINS: dict[str, FunctionSpec] = {
    **_specs(
        "math",
        "num",
        "ABS:1 CEILING:1 DEGREES:1 EXP:1 FLOOR:1 LOG:1 LOG10:1 MOD:2 PI:0 POWER:2 "
        "RADIANS:1 RAND:0-1 ROUND:1-2 SQRT:1 TRUNCATE:1-2",
    ),
    **_specs("trig", "num", "ACOS:1 ASIN:1 ATAN:1 ATAN2:2 COS:1 COT:1 SIN:1 TAN:1"),
    **_specs("aggregate", "any", "AVG:1 MAX:1 MIN:1 SUM:1 COUNT:1"),
    **_specs("geometry", "geom", "BOX:3-5 CENTROID:1 CIRCLE:2-4 POINT:2-3 POLYGON:3-n REGION:1"),
    **_specs(
        "geometry", "num", "AREA:1 CONTAINS:2 COORD1:1 COORD2:1 DISTANCE:2-4 INTERSECTS:2"
    ),
    **_specs("geometry", "str", "COORDSYS:1"),
    **_specs("string", "str", "LOWER:1 UPPER:1"),
    **_specs("conditional", "any", "COALESCE:1-n NULLIF:2"),
    **_specs("unit", "num", "IN_UNIT:2"),
    **_specs("bitwise", "num", "BIT_AND:2 BIT_OR:2 BIT_XOR:2 BIT_NOT:1"),
}

#: Aggregate functions (may take DISTINCT/ALL, COUNT may take ``*``).
AGGREGATES = frozenset({"AVG", "MAX", "MIN", "SUM", "COUNT"})

#: Geometry constructors: their values are points, circles and polygons.
GEOMETRY_CONSTRUCTORS = frozenset({"POINT", "CIRCLE", "BOX", "POLYGON", "REGION", "CENTROID"})

#: Target types CAST accepts (ADQL 2.1 section 4.9), canonical spelling.
CAST_TYPES = frozenset(
    {
        "SMALLINT", "INTEGER", "BIGINT", "REAL", "DOUBLE PRECISION", "CHAR", "VARCHAR",
        "TIMESTAMP", "POINT", "CIRCLE", "POLYGON",
    }
)
