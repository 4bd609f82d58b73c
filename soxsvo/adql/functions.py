"""The ADQL functions we implement, each declared once: built-ins, optional features, UDFs.

Every function is one :class:`FunctionDef` in :data:`FUNCTIONS` (in the spirit of GAVO
DaCHS's ``@userFunction``): its name, accepted argument counts, the coarse kind of value the
parser may assume, its result metadata, its TAPRegExt declaration when it is an optional
feature or a UDF, and its *SQL form*, a small callable turning the translated arguments
into SQL.  The parser (names, argument counts), the translator (SQL, result metadata) and
the TAP capabilities (:data:`LANGUAGE_FEATURES`) all read this registry.

Keys follow the ADQL case rules: built-ins are upper case (the parser folds them), UDFs
lower case (``ESO_INTERSECTION`` is ``eso_intersection``).  The bodies of the database
functions a SQL form calls (``sql_function``) live in
``soxsvo/db/sql/repeatable/adql_functions.sql``, schema ``soxs_adql``.

Adding a UDF: write its SQL form (often ``_template("...{0}...{1}...")``), add a
``FunctionDef`` with ``feature="udf"``, a ``signature`` and a ``description`` to the
``_UDFS`` block, and the capabilities declare it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLError, ADQLUnsupportedError, ADQLValidationError
from soxsvo.adql.translate import geometry as geo
from soxsvo.adql.translate.scope import (
    DOUBLE,
    GEOMETRY_XTYPES,
    INT,
    INTEGRAL,
    LONG,
    TEXT,
    Scope,
    Val,
    common_meta,
    meta,
)
from soxsvo.db.metadata import ColumnMeta

_TAPREGEXT = "ivo://ivoa.net/std/TAPRegExt#features-"


class Translating(Protocol):
    """What a SQL form may ask of the translator (see ``ExpressionTranslator``)."""

    def fail(self, cls: type[ADQLError], message: str, node: n.Node,
             suggestions: tuple[str, ...] = ()) -> ADQLError: ...

    def geo_predicate(self, node: n.Function, scope: Scope) -> str: ...


@dataclass(slots=True)
class Call:
    """One call being translated: the input of a SQL form.

    Parameters
    ----------
    fn : FunctionDef
        The declaration of the function called.
    node : Function
        The call in the syntax tree.
    args : list of Val
        The translated arguments (empty for ``lazy`` functions, without the coordinate
        system for ``coordsys`` ones).
    translator : Translating
        For errors with a position and the q3c predicates.
    scope : Scope
        Names visible at the call.
    """

    fn: FunctionDef
    node: n.Function
    args: list[Val]
    translator: Translating
    scope: Scope

    @property
    def sql(self) -> list[str]:
        """SQL of the arguments."""
        return [a.sql for a in self.args]

    @property
    def const(self) -> bool:
        """True if no argument involves a column."""
        return all(a.const for a in self.args)

    def value(self, sql: str, result: ColumnMeta | None = None) -> Val:
        """``sql`` with ``result`` (default: the declared result) and the arguments' const."""
        m = self.fn.result if result is None else result
        # A UDF returning a DALI point (ivo_healpix_center) must be a point to CONTAINS & co.
        shape = m.xtype if m.xtype in GEOMETRY_XTYPES else None
        return Val(sql, m, shape, const=self.const)

    def fail(self, cls: type[ADQLError], message: str, node: n.Node | None = None) -> ADQLError:
        """An error located at ``node`` (default: the call)."""
        return self.translator.fail(cls, message, self.node if node is None else node)


#: Turns a call into SQL and its metadata.
SqlForm = Callable[[Call], Val]


@dataclass(frozen=True, slots=True)
class FunctionDef:
    """Declaration of one ADQL function.

    Parameters
    ----------
    name : str
        ADQL name: upper case for built-ins, lower case for UDFs.
    min_args, max_args : int
        Accepted argument counts (``max_args`` None: unbounded).
    sql : callable
        The SQL form: :class:`Call` to :class:`~soxsvo.adql.translate.scope.Val`.
    kind : str
        Value kind the parser assumes (``num``, ``str``, ``geom`` or ``any``).
    group : str
        ``math``, ``trig``, ``aggregate``, ``geometry``, ``string``, ``conditional``,
        ``unit``, ``bitwise`` or ``udf``; the parser refuses geometries as arguments of
        the ``math``, ``trig``, ``string``, ``bitwise`` and ``aggregate`` built-ins.
    result : ColumnMeta or None
        Result metadata when fixed; None when it follows the arguments (the SQL form
        computes it).
    sql_function : str or None
        The ``soxs_adql`` database function behind the SQL form, if any (the geometry
        forms call it only when no q3c form applies).
    feature : str or None
        TAPRegExt feature type (``adqlgeo``, ``adql-string``, ``udf``...) under which the
        capabilities declare the function; None for mandatory ADQL functions.
    description : str or None
        Text of that declaration.
    signature : str or None
        TAPRegExt form of a UDF (``name(arg TYPE, ...) -> TYPE``); built-ins use the name.
    coordsys : bool
        Accepts a leading coordinate-system literal, which is ignored (all is ICRS).
    lazy : bool
        The SQL form reads the argument nodes itself (literals, q3c predicates) instead
        of receiving translated values.
    """

    name: str
    min_args: int
    max_args: int | None
    sql: SqlForm
    kind: str = "num"
    group: str = "math"
    result: ColumnMeta | None = None
    sql_function: str | None = None
    feature: str | None = None
    description: str | None = None
    signature: str | None = None
    coordsys: bool = False
    lazy: bool = False

    @property
    def udf(self) -> bool:
        """True for user-defined functions (``ivo_*``, ESO's)."""
        return self.feature == "udf"

    @property
    def aggregate(self) -> bool:
        """True for aggregate functions (``COUNT`` may take ``*``)."""
        return self.group == "aggregate"

    @property
    def form(self) -> str:
        """What the capabilities show as the feature's form."""
        return self.signature or self.name

    def operands(self, node: n.Function) -> tuple[n.Node, ...]:
        """The argument nodes to translate before the SQL form is called."""
        if self.lazy:
            return ()
        args = node.args
        if self.coordsys and args and isinstance(args[0], (n.String, n.Null)):
            return args[1:]  # coordinate system: ignored, everything is ICRS here
        return args


# -- SQL forms ---------------------------------------------------------------------------


def _call(sql_name: str) -> SqlForm:
    """``sql_name(arg, ...)`` with the declared result."""
    def form(c: Call) -> Val:
        return c.value(f"{sql_name}({', '.join(c.sql)})")
    return form


def _same_unit(sql_name: str) -> SqlForm:
    """``sql_name(x)``: a double in the unit of ``x`` (ABS, CEILING, FLOOR)."""
    def form(c: Call) -> Val:
        return c.value(f"{sql_name}({c.sql[0]})", meta("double", unit=c.args[0].meta.unit))
    return form


def _template(template: str) -> SqlForm:
    """``template`` with ``{0}``, ``{1}``... the arguments' SQL, ``{fn}`` the SQL function."""
    def form(c: Call) -> Val:
        fn = f"{geo.SQL_SCHEMA}.{c.fn.sql_function}" if c.fn.sql_function else ""
        return c.value(template.format(*c.sql, fn=fn))
    return form


def _first_arg_meta(sql_name: str) -> SqlForm:
    """NULLIF: the metadata and shape of the first argument."""
    def form(c: Call) -> Val:
        m = c.args[0].meta
        result = meta(m.datatype, arraysize=m.arraysize, xtype=m.xtype, unit=m.unit)
        return Val(f"{sql_name}({', '.join(c.sql)})", result, c.args[0].shape, const=c.const)
    return form


def _coalesce(c: Call) -> Val:
    """COALESCE: the type all its arguments resolve to (see common_meta)."""
    result, shape = common_meta(c.args)
    return Val(f"COALESCE({', '.join(c.sql)})", result, shape, const=c.const)


def _random(c: Call) -> Val:
    return Val("random()", DOUBLE)  # the seed is ignored; a new value per row: not const


def _mod(c: Call) -> Val:
    a, b = c.sql
    if all(v.meta.datatype in INTEGRAL for v in c.args):
        return c.value(f"mod({a}, {b})", LONG)
    # PostgreSQL has mod() for integers and numeric only.
    return c.value(f"CAST(mod(CAST({a} AS numeric), CAST({b} AS numeric)) AS double precision)",
                   DOUBLE)


def _rounding(sql_name: str) -> SqlForm:
    """ROUND, TRUNCATE: integers stay integers; ``n`` digits go through ``numeric``.

    The value goes to ``numeric`` as a double: a ``real`` cast directly keeps only 6
    significant digits, so TRUNCATE(23.29999, 1) would truncate 23.3 and give 23.3.
    """
    def form(c: Call) -> Val:
        x = c.args[0]
        if len(c.args) == 1:
            datatype = x.meta.datatype if x.meta.datatype in INTEGRAL else "double"
            return c.value(f"{sql_name}({x.sql})", meta(datatype, unit=x.meta.unit))
        exact = f"CAST(CAST({x.sql} AS double precision) AS numeric)"
        return c.value(f"CAST({sql_name}({exact}, CAST({c.sql[1]} AS integer)) "
                       "AS double precision)", meta("double", unit=x.meta.unit))
    return form


def _aggregate(result: Callable[[ColumnMeta], ColumnMeta]) -> SqlForm:
    """``name([DISTINCT] x)`` with metadata ``result(metadata of x)``; COUNT(*)."""
    def form(c: Call) -> Val:
        if c.node.star:  # the parser allows '*' for COUNT only
            return Val("count(*)", LONG)
        inner = ("DISTINCT " if c.node.distinct else "") + c.sql[0]
        return Val(f"{c.fn.name.lower()}({inner})", result(c.args[0].meta))
    return form


def _min_max(m: ColumnMeta) -> ColumnMeta:
    return meta(m.datatype, arraysize=m.arraysize, xtype=m.xtype, unit=m.unit, ucd=m.ucd)


def _constructor(build: Callable[[list[Val]], Val]) -> SqlForm:
    """POINT, CIRCLE, BOX, POLYGON, CENTROID: DALI arrays (see geometry)."""
    return lambda c: build(c.args)


def _region(c: Call) -> Val:
    arg = c.node.args[0]
    if not isinstance(arg, n.String):
        raise c.fail(ADQLUnsupportedError, "REGION needs a string literal")
    return geo.region(arg.value, repr)


def _predicate(c: Call) -> Val:
    """CONTAINS, INTERSECTS as values; ``= 1`` in conditions is handled by comparisons."""
    return Val(f"CAST({c.translator.geo_predicate(c.node, c.scope)} AS integer)", INT)


def _distance(c: Call) -> Val:
    args = c.args
    if len(args) == 4:
        args = [geo.point(args[:2]), geo.point(args[2:])]
    return c.value(geo.distance(*args))


def _coord(index: int) -> SqlForm:
    return lambda c: c.value(geo.coord(c.args[0], index))


def _coordsys(c: Call) -> Val:
    return Val("CAST('ICRS' AS text)", TEXT, const=True)


def _in_unit(c: Call) -> Val:
    """``x * factor``; the unit of ``x`` comes from metadata, the target must be a literal."""
    target, v = c.node.args[1], c.args[0]
    if not isinstance(target, n.String):
        raise c.fail(ADQLValidationError, "IN_UNIT needs a unit string literal")
    if not v.meta.unit:
        raise c.fail(ADQLValidationError,
                     "IN_UNIT: the unit of the converted expression is unknown")
    from soxsvo.adql.translate.units import (
        conversion_factor,  # astropy is imported only when needed
    )

    try:
        factor = conversion_factor(v.meta.unit, target.value)
    except ValueError as exc:
        raise c.fail(ADQLValidationError, f"IN_UNIT: {exc}", target) from None
    return Val(f"({v.sql} * {factor!r})", meta("double", unit=target.value, ucd=v.meta.ucd),
               const=v.const)


def _healpix_index(c: Call) -> Val:
    s = c.sql
    if len(c.args) == 2:  # ivo_healpix_index(order, POINT)
        s = [s[0], geo.coord(c.args[1], 0), geo.coord(c.args[1], 1)]
    return c.value(f"{geo.SQL_SCHEMA}.{c.fn.sql_function}({', '.join(s)})")


def _intersection_area(c: Call) -> Val:
    for v, x in zip(c.args, c.node.args, strict=True):
        if v.shape is None and v.meta.xtype not in GEOMETRY_XTYPES:
            raise c.fail(ADQLValidationError,
                         f"ESO_INTERSECTION needs regions, not {v.meta.datatype}", x)
    return c.value(f"{geo.SQL_SCHEMA}.{c.fn.sql_function}({c.sql[0]}, {c.sql[1]})")


# -- the registry ------------------------------------------------------------------------

_DEG = meta("double", unit="deg")


def _math(name: str, low: int, high: int, sql: SqlForm, result: ColumnMeta | None = DOUBLE,
          group: str = "math") -> FunctionDef:
    return FunctionDef(name, low, high, sql, result=result, group=group)


_MATH = (
    _math("ABS", 1, 1, _same_unit("abs"), None),
    _math("CEILING", 1, 1, _same_unit("ceiling"), None),
    _math("DEGREES", 1, 1, _call("degrees"), _DEG),
    _math("EXP", 1, 1, _call("exp")),
    _math("FLOOR", 1, 1, _same_unit("floor"), None),
    _math("LOG", 1, 1, _call("ln")),  # ADQL's LOG is the natural logarithm
    _math("LOG10", 1, 1, _call("log")),
    _math("MOD", 2, 2, _mod, None),
    _math("PI", 0, 0, _call("pi")),
    _math("POWER", 2, 2, _call("power")),
    _math("RADIANS", 1, 1, _call("radians"), meta("double", unit="rad")),
    _math("RAND", 0, 1, _random),
    _math("ROUND", 1, 2, _rounding("round"), None),
    _math("SQRT", 1, 1, _call("sqrt")),
    _math("TRUNCATE", 1, 2, _rounding("trunc"), None),
    _math("ACOS", 1, 1, _call("acos"), group="trig"),
    _math("ASIN", 1, 1, _call("asin"), group="trig"),
    _math("ATAN", 1, 1, _call("atan"), group="trig"),
    _math("ATAN2", 2, 2, _call("atan2"), group="trig"),
    _math("COS", 1, 1, _call("cos"), group="trig"),
    _math("COT", 1, 1, _call("cot"), group="trig"),
    _math("SIN", 1, 1, _call("sin"), group="trig"),
    _math("TAN", 1, 1, _call("tan"), group="trig"),
    _math("BIT_AND", 2, 2, _template("({0} & {1})"), LONG, group="bitwise"),
    _math("BIT_OR", 2, 2, _template("({0} | {1})"), LONG, group="bitwise"),
    _math("BIT_XOR", 2, 2, _template("({0} # {1})"), LONG, group="bitwise"),
    _math("BIT_NOT", 1, 1, _template("(~ {0})"), LONG, group="bitwise"),
)


def _agg(name: str, result: Callable[[ColumnMeta], ColumnMeta]) -> FunctionDef:
    return FunctionDef(name, 1, 1, _aggregate(result), kind="any", group="aggregate")


_AGGREGATES = (
    _agg("AVG", lambda m: meta("double", unit=m.unit, ucd=m.ucd)),
    _agg("MAX", _min_max),
    _agg("MIN", _min_max),
    _agg("SUM", lambda m: meta("long" if m.datatype in INTEGRAL else "double", unit=m.unit)),
    _agg("COUNT", lambda m: LONG),
)


def _geo(name: str, low: int, high: int | None, sql: SqlForm, description: str,
         kind: str = "num", result: ColumnMeta | None = None, **kw) -> FunctionDef:
    return FunctionDef(name, low, high, sql, kind=kind, group="geometry", result=result,
                       feature="adqlgeo", description=description, **kw)


# Declared in the order the capabilities list them.
_GEOMETRY = (
    _geo("POINT", 2, 3, _constructor(geo.point),
         "POINT([coord_sys,] lon, lat): a point (DALI xtype point).", "geom", coordsys=True),
    _geo("CIRCLE", 2, 4, _constructor(geo.circle),
         "CIRCLE([coord_sys,] lon, lat, radius) or CIRCLE(point, radius).", "geom",
         coordsys=True),
    _geo("BOX", 3, 5, _constructor(geo.box),
         "BOX([coord_sys,] lon, lat, width, height): the ADQL 2.1 box (great-circle arms and "
         "sides) as its four-vertex polygon; refused centred on a pole or 180 degrees wide.",
         "geom", coordsys=True),
    _geo("POLYGON", 3, None, _constructor(geo.polygon),
         "POLYGON([coord_sys,] lon1, lat1, ...) or POLYGON(point, point, point, ...).",
         "geom", coordsys=True),
    _geo("REGION", 1, 1, _region,
         "REGION(stcs): STC-S position, circle, box and polygon literals only.", "geom",
         lazy=True),
    _geo("CENTROID", 1, 1, _constructor(lambda args: geo.centroid(args[0])),
         "CENTROID(geometry): centre of a circle, mean vertex direction of a polygon.",
         "geom", sql_function="centroid"),
    _geo("AREA", 1, 1, lambda c: c.value(geo.area(c.args[0])),
         "AREA(geometry): area in square degrees (exact spherical area).",
         result=meta("double", unit="deg**2"), sql_function="area"),
    _geo("CONTAINS", 2, 2, _predicate,
         "CONTAINS(a, b): 1 if a lies within b (exact spherical test, q3c-indexed).",
         lazy=True, sql_function="contains"),
    _geo("INTERSECTS", 2, 2, _predicate,
         "INTERSECTS(a, b): 1 if a and b overlap (exact spherical test).",
         lazy=True, sql_function="intersects"),
    _geo("DISTANCE", 2, 4, _distance,
         "DISTANCE(p1, p2) or DISTANCE(lon1, lat1, lon2, lat2): degrees.", result=_DEG,
         sql_function="distance"),
    _geo("COORD1", 1, 1, _coord(0), "COORD1(point): longitude of a point.", result=_DEG),
    _geo("COORD2", 1, 1, _coord(1), "COORD2(point): latitude of a point.", result=_DEG),
    _geo("COORDSYS", 1, 1, _coordsys, "COORDSYS(geometry): always 'ICRS' here.", "str",
         result=TEXT),
)

_OTHERS = (
    FunctionDef("LOWER", 1, 1, _template("lower(CAST({0} AS text))"), kind="str",
                group="string", result=TEXT, feature="adql-string",
                description="LOWER(str): lower-case a string."),
    FunctionDef("UPPER", 1, 1, _template("upper(CAST({0} AS text))"), kind="str",
                group="string", result=TEXT, feature="adql-string",
                description="UPPER(str): upper-case a string."),
    FunctionDef("COALESCE", 1, None, _coalesce, kind="any",
                group="conditional", feature="adql-conditional",
                description="COALESCE(a, b, ...): first non-NULL argument."),
    FunctionDef("NULLIF", 2, 2, _first_arg_meta("NULLIF"), kind="any", group="conditional",
                feature="adql-conditional", description="NULLIF(a, b): NULL if a = b, else a."),
    FunctionDef("IN_UNIT", 2, 2, _in_unit, group="unit", feature="adql-unit",
                description="IN_UNIT(x, 'unit'): convert x to a compatible unit "
                            "(needs the unit of x to be known)."),
)


def _udf(name: str, args: tuple[int, int], sql: SqlForm, result: ColumnMeta, signature: str,
         description: str, group: str = "udf", sql_function: str | None = None
         ) -> FunctionDef:
    # kind "any": the parser does not type UDF results (it never has).
    return FunctionDef(name, *args, sql, kind="any", group=group, result=result,
                       sql_function=sql_function, feature="udf", signature=signature,
                       description=description)


_UDFS = (
    _udf("ivo_healpix_index", (2, 3), _healpix_index, LONG,
         "ivo_healpix_index(hpxOrder INTEGER, ra DOUBLE, dec DOUBLE) -> BIGINT",
         "Index of the HEALPix cell (NESTED scheme, order hpxOrder) containing ra, dec "
         "(degrees). A two-argument form ivo_healpix_index(hpxOrder, POINT) is accepted.",
         sql_function="healpix_index"),
    _udf("ivo_healpix_center", (2, 2), _template("{fn}({0}, {1})"),
         meta("double", arraysize="2", xtype="point", unit="deg"),
         "ivo_healpix_center(hpxOrder INTEGER, hpxIndex BIGINT) -> POINT",
         "Centre of the HEALPix cell hpxIndex (NESTED scheme) at order hpxOrder.",
         sql_function="healpix_center"),
    _udf("ivo_interval_overlaps", (4, 4),
         _template("CAST(({0}) <= ({3}) AND ({2}) <= ({1}) AS integer)"), INT,
         "ivo_interval_overlaps(l1 NUMERIC, h1 NUMERIC, l2 NUMERIC, h2 NUMERIC) -> INTEGER",
         "1 if the closed intervals [l1, h1] and [l2, h2] overlap, 0 otherwise."),
    _udf("ivo_hasword", (2, 2),
         _template("CAST(to_tsvector('simple', CAST({0} AS text)) @@ "
                   "plainto_tsquery('simple', CAST({1} AS text)) AS integer)"), INT,
         "ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER",
         "1 if needle occurs as a word (English stemming, case-insensitive) in haystack; "
         "uses PostgreSQL full-text search."),
    _udf("ivo_nocasematch", (2, 2),
         _template("CAST(CAST({0} AS text) ILIKE CAST({1} AS text) AS integer)"), INT,
         "ivo_nocasematch(value TEXT, pattern TEXT) -> INTEGER",
         "1 if value matches the SQL LIKE pattern case-insensitively (ILIKE), else 0."),
    _udf("ivo_string_agg", (2, 2),
         _template("string_agg(CAST({0} AS text), CAST({1} AS text))"), TEXT,
         "ivo_string_agg(expr TEXT, delim TEXT) -> TEXT",
         "Aggregate: the non-NULL values of expr in a group joined with delim.",
         group="aggregate"),
    # ESO's own functions (archive.eso.org tap_obs), so that ESO's queries run unchanged.
    _udf("eso_intersection", (2, 2), _intersection_area, meta("double", unit="deg**2"),
         "ESO_INTERSECTION(region1 REGION, region2 REGION) -> DOUBLE",
         "Area in square degrees of the overlap of two regions (circles, polygons; 0 for a "
         "point), as at ESO; compare with AREA(). Exact for two circles and for two "
         "polygons of which one is convex; a circle meeting a polygon is taken as its "
         "inscribed 360-gon (at most 5.1e-5 of the circle's area too small). NULL for two "
         "non-convex polygons and for circles of 90 degrees or more.",
         sql_function="intersection_area"),
    _udf("eso_dateadd_sec", (2, 2),
         _template("(CAST({1} AS timestamp) + "
                   "make_interval(secs => CAST({0} AS double precision)))"),
         meta("char", arraysize="*", xtype="timestamp"),
         "ESO_DATEADD_SEC(seconds INTEGER, date TIMESTAMP) -> TIMESTAMP",
         "The timestamp date moved by the given number of seconds (may be negative or "
         "fractional), as at ESO."),
)


def _register(*functions: FunctionDef) -> dict[str, FunctionDef]:
    registry: dict[str, FunctionDef] = {}
    for fn in functions:
        # The parser looks up upper-cased names and sends any other name to the UDFs, so
        # a key in the wrong case would silently never be found.
        wanted = fn.name.lower() if fn.udf else fn.name.upper()
        if fn.name != wanted or fn.name in registry:
            raise ValueError(f"bad or duplicate function declaration {fn.name!r}")
        registry[fn.name] = fn
    return registry


#: Every function ADQL queries may call here, by ADQL name (see the module docstring).
FUNCTIONS: dict[str, FunctionDef] = _register(*_MATH, *_AGGREGATES, *_GEOMETRY, *_OTHERS,
                                              *_UDFS)

#: Names of the registered UDFs (the parser accepts them besides ``ivo_*``).
UDF_NAMES: frozenset[str] = frozenset(name for name, fn in FUNCTIONS.items() if fn.udf)

#: Target types of CAST (ADQL 2.1 section 4.9): PostgreSQL type and VOTable datatype;
#: None for the geometries, which are parsed from or kept as DALI arrays.
CAST_TYPES: dict[str, tuple[str, str] | None] = {
    "SMALLINT": ("smallint", "short"), "INTEGER": ("integer", "int"),
    "BIGINT": ("bigint", "long"), "REAL": ("real", "float"),
    "DOUBLE PRECISION": ("double precision", "double"), "CHAR": ("char", "char"),
    "VARCHAR": ("varchar", "char"), "TIMESTAMP": ("timestamp", "char"),
    "POINT": None, "CIRCLE": None, "POLYGON": None,
}

# -- TAPRegExt language features -------------------------------------------------------

#: Optional language features that are not functions: (feature type, form, description).
_SYNTAX_FEATURES = (
    ("adql-string", "ILIKE", "a ILIKE pattern: case-insensitive LIKE."),
    ("adql-sets", "UNION", "Set union of two queries (UNION ALL keeps duplicates)."),
    ("adql-sets", "EXCEPT", "Set difference of two queries (EXCEPT ALL too)."),
    ("adql-sets", "INTERSECT", "Set intersection of two queries (INTERSECT ALL too)."),
    ("adql-common-table", "WITH", "Common table expressions at the top of a query."),
    ("adql-type", "CAST", "CAST(x AS type): numeric, character, TIMESTAMP and "
                          "geometry (DALI serialisation) targets."),
    ("adql-offset", "OFFSET", "OFFSET n: skip the first n rows."),
    ("adql-conditional", "CASE", "CASE [x] WHEN ... THEN ... [ELSE ...] END."),
    *(("adql-bitwise", op, f"Bitwise {name} of integers.")
      for op, name in (("&", "AND"), ("|", "OR"), ("^", "XOR"), ("~", "NOT"))),
)

#: Order of the feature types in the capabilities (functions before syntax within a type).
_FEATURE_ORDER = ("adqlgeo", "adql-string", "adql-sets", "adql-common-table", "adql-type",
                  "adql-unit", "adql-offset", "adql-conditional", "adql-bitwise", "udf")


def _language_features() -> list[tuple[str, str, str]]:
    declared = [(fn.feature, fn.form, fn.description) for fn in FUNCTIONS.values()
                if fn.feature is not None]
    # A stable sort keeps declaration order within a type; an unknown type fails here.
    ordered = sorted([*declared, *_SYNTAX_FEATURES], key=lambda f: _FEATURE_ORDER.index(f[0]))
    return [(_TAPREGEXT + kind, form, text) for kind, form, text in ordered]


#: Every optional language feature and UDF: (type IVOID, form, description).
LANGUAGE_FEATURES: list[tuple[str, str, str]] = _language_features()
