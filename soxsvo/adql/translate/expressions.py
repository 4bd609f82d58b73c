"""Translation of ADQL value expressions and conditions to PostgreSQL.

Only SQL we write ourselves reaches the output: literals become bound parameters
(strings) or re-formatted numbers, names come from :mod:`~soxsvo.adql.translate.scope`, and
functions are mapped one by one from the ADQL catalogue and the UDF registry.
"""

from __future__ import annotations

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLNameError, ADQLUnsupportedError, ADQLValidationError
from soxsvo.adql.features import UDFS
from soxsvo.adql.funcs import BUILTINS
from soxsvo.adql.translate import geometry as geo
from soxsvo.adql.translate.scope import Scope, Val
from soxsvo.db.metadata import ColumnMeta

_INTEGRAL = frozenset({"short", "int", "long", "unsignedByte"})
_SIMPLE = {
    "ABS": "abs", "CEILING": "ceiling", "DEGREES": "degrees", "EXP": "exp", "FLOOR": "floor",
    "LOG": "ln", "LOG10": "log", "PI": "pi", "POWER": "power", "RADIANS": "radians",
    "SQRT": "sqrt", "ACOS": "acos", "ASIN": "asin", "ATAN": "atan", "ATAN2": "atan2",
    "COS": "cos", "COT": "cot", "SIN": "sin", "TAN": "tan", "LOWER": "lower",
    "UPPER": "upper", "COALESCE": "COALESCE", "NULLIF": "NULLIF",
}
_CAST_SQL = {
    "SMALLINT": ("smallint", "short"), "INTEGER": ("integer", "int"),
    "BIGINT": ("bigint", "long"), "REAL": ("real", "float"),
    "DOUBLE PRECISION": ("double precision", "double"), "CHAR": ("char", "char"),
    "VARCHAR": ("varchar", "char"), "TIMESTAMP": ("timestamp", "char"),
}
_BITWISE = {"BIT_AND": "&", "BIT_OR": "|", "BIT_XOR": "#"}


def meta(datatype: str, **kw) -> ColumnMeta:
    """Metadata of a computed value (the name is set later)."""
    return ColumnMeta("expr", datatype, **kw)


DOUBLE = meta("double")
LONG = meta("long")
INT = meta("int")
TEXT = meta("char", arraysize="*")
BOOL = meta("boolean")


class ExpressionTranslator:
    """Mixin of :class:`~soxsvo.adql.translate.translator.Translator` for expressions."""

    text: str
    params: dict[str, object]
    max_fov: float | None

    # -- helpers -------------------------------------------------------------------------

    def bind(self, value: object) -> str:
        key = f"p{len(self.params)}"
        self.params[key] = value
        return f"%({key})s"

    def fail(self, cls, message: str, node: n.Node, suggestions=()):
        return Scope(self.text).error(cls, message, getattr(node, "pos", -1), suggestions)

    def subquery(self, query: n.Node, scope: Scope) -> str:  # provided by Translator
        raise NotImplementedError

    # -- values ----------------------------------------------------------------------------

    def value(self, node: n.Node, scope: Scope) -> Val:
        """Translate a value expression."""
        if isinstance(node, n.ColumnRef):
            return scope.resolve(node)
        if isinstance(node, n.Number):
            return self.number(node)
        if isinstance(node, n.String):
            return Val(self.bind(node.value), TEXT, const=True)
        if isinstance(node, n.Null):
            return Val("NULL", TEXT, const=True)
        if isinstance(node, n.Boolean):
            return Val("TRUE" if node.value else "FALSE", BOOL, const=True)
        if isinstance(node, n.Unary):
            v = self.value(node.operand, scope)
            op = node.op
            m = v.meta if v.meta.datatype in _INTEGRAL or op != "~" else LONG
            m = meta(m.datatype, unit=v.meta.unit if op != "~" else None)
            return Val(f"({op}{v.sql})" if op != "-" else f"(- {v.sql})", m, const=v.const)
        if isinstance(node, n.Binary):
            return self.binary(node, scope)
        if isinstance(node, n.Function):
            return self.function(node, scope)
        if isinstance(node, n.Cast):
            return self.cast(node, scope)
        if isinstance(node, n.Case):
            return self.case(node, scope)
        if isinstance(node, n.CONDITIONS):
            return Val(f"({self.condition(node, scope)})", BOOL)
        raise self.fail(ADQLValidationError, f"{type(node).__name__} is not a value", node)

    def number(self, node: n.Number) -> Val:
        text = node.text
        if text[:2].lower() == "0x":
            value = int(text, 16)
            return Val(str(value), LONG if value >= 2**31 else INT, const=True)
        if node.is_integer:
            value = int(text)
            return Val(str(value), LONG if value >= 2**31 else INT, const=True)
        return Val(repr(float(text)) if "e" in text.lower() else text, DOUBLE, const=True)

    def binary(self, node: n.Binary, scope: Scope) -> Val:
        a, b = self.value(node.left, scope), self.value(node.right, scope)
        const = a.const and b.const
        if node.op == "||":
            parts = [v.sql if v.meta.datatype == "char" and v.meta.xtype is None
                     else f"CAST({v.sql} AS text)" for v in (a, b)]
            return Val(f"({parts[0]} || {parts[1]})", TEXT, const=const)
        if node.op in ("&", "|", "^"):
            op = "#" if node.op == "^" else node.op
            return Val(f"({a.sql} {op} {b.sql})", LONG, const=const)
        integral = a.meta.datatype in _INTEGRAL and b.meta.datatype in _INTEGRAL
        unit = a.meta.unit if node.op in "+-" and a.meta.unit == b.meta.unit else None
        m = meta("long" if integral else "double", unit=unit)
        return Val(f"({a.sql} {node.op} {b.sql})", m, const=const)

    def case(self, node: n.Case, scope: Scope) -> Val:
        parts = ["CASE"]
        if node.operand is not None:
            parts.append(self.value(node.operand, scope).sql)
        first = None
        for cond, result in node.whens:
            test = (self.value(cond, scope).sql if node.operand is not None
                    else self.condition(cond, scope))
            res = self.value(result, scope)
            first = first or res
            parts.append(f"WHEN {test} THEN {res.sql}")
        if node.else_ is not None:
            parts.append(f"ELSE {self.value(node.else_, scope).sql}")
        parts.append("END")
        return Val("(" + " ".join(parts) + ")", meta(first.meta.datatype, unit=first.meta.unit,
                                                     arraysize=first.meta.arraysize))

    def cast(self, node: n.Cast, scope: Scope) -> Val:
        v = self.value(node.expr, scope)
        if node.type in ("POINT", "CIRCLE", "POLYGON"):
            if v.shape is not None:
                return v
            sql = (f"CAST(regexp_split_to_array(btrim(CAST({v.sql} AS text)), "
                   f"'[[:space:]]+') AS double precision[])")
            shape = node.type.lower()
            return Val(sql, geo.geom_meta(shape), shape)
        sql_type, datatype = _CAST_SQL[node.type]
        if node.length is not None:
            sql_type += f"({node.length})"
        size = str(node.length) if node.length else ("*" if datatype == "char" else None)
        m = meta(datatype, arraysize=size,
                 xtype="timestamp" if node.type == "TIMESTAMP" else None)
        return Val(f"CAST({v.sql} AS {sql_type})", m, const=v.const)

    # -- functions ---------------------------------------------------------------------

    def function(self, node: n.Function, scope: Scope) -> Val:
        name = node.name
        if name not in BUILTINS:
            return self.udf(node, scope)
        if node.star:
            return Val("count(*)", LONG)
        if name == "REGION":
            arg = node.args[0]
            if not isinstance(arg, n.String):
                raise self.fail(ADQLUnsupportedError, "REGION needs a string literal", node)
            return geo.region(arg.value, repr)
        if name == "CONTAINS" or name == "INTERSECTS":
            return Val(f"CAST({self.geo_predicate(node, scope)} AS integer)", INT)
        raw = node.args
        if name in ("POINT", "CIRCLE", "BOX", "POLYGON") and isinstance(raw[0], (n.String, n.Null)):
            raw = raw[1:]  # coordinate system: ignored, everything is ICRS here
        args = [self.value(a, scope) for a in raw]
        const = all(a.const for a in args)
        sqls = [a.sql for a in args]
        if name in ("AVG", "MAX", "MIN", "SUM", "COUNT"):
            inner = ("DISTINCT " if node.distinct else "") + sqls[0]
            src = args[0].meta
            if name == "COUNT":
                m = LONG
            elif name == "AVG":
                m = meta("double", unit=src.unit, ucd=src.ucd)
            elif name == "SUM":
                m = meta("long" if src.datatype in _INTEGRAL else "double", unit=src.unit)
            else:
                m = meta(src.datatype, arraysize=src.arraysize, xtype=src.xtype,
                         unit=src.unit, ucd=src.ucd)
            return Val(f"{name.lower()}({inner})", m)
        if name in ("POINT", "CIRCLE", "BOX", "POLYGON"):
            return getattr(geo, name.lower())(args)
        if name == "CENTROID":
            return geo.centroid(args[0])
        if name in ("COORD1", "COORD2"):
            return Val(geo.coord(args[0], 0 if name == "COORD1" else 1),
                       meta("double", unit="deg"), const=const)
        if name == "COORDSYS":
            return Val("CAST('ICRS' AS text)", TEXT, const=True)
        if name == "AREA":
            return Val(geo.area(args[0]), meta("double", unit="deg**2"), const=const)
        if name == "DISTANCE":
            if len(args) == 4:
                args = [geo.point(args[:2]), geo.point(args[2:])]
            return Val(geo.distance(*args), meta("double", unit="deg"), const=const)
        if name == "IN_UNIT":
            return self.in_unit(node, args[0])
        if name in _BITWISE:
            return Val(f"({sqls[0]} {_BITWISE[name]} {sqls[1]})", LONG, const=const)
        if name == "BIT_NOT":
            return Val(f"(~ {sqls[0]})", LONG, const=const)
        if name == "MOD":
            if all(a.meta.datatype in _INTEGRAL for a in args):
                return Val(f"mod({sqls[0]}, {sqls[1]})", LONG, const=const)
            return Val(f"CAST(mod(CAST({sqls[0]} AS numeric), CAST({sqls[1]} AS numeric)) "
                       "AS double precision)", DOUBLE, const=const)
        if name in ("ROUND", "TRUNCATE"):
            fn = "round" if name == "ROUND" else "trunc"
            if len(args) == 1:
                return Val(f"{fn}({sqls[0]})", meta(args[0].meta.datatype if
                           args[0].meta.datatype in _INTEGRAL else "double",
                           unit=args[0].meta.unit), const=const)
            return Val(f"CAST({fn}(CAST({sqls[0]} AS numeric), CAST({sqls[1]} AS integer)) "
                       "AS double precision)", meta("double", unit=args[0].meta.unit),
                       const=const)
        if name == "RAND":
            return Val("random()", DOUBLE)
        sql = f"{_SIMPLE[name]}({', '.join(sqls)})"
        if name in ("LOWER", "UPPER"):
            return Val(f"{_SIMPLE[name]}(CAST({sqls[0]} AS text))", TEXT, const=const)
        if name in ("COALESCE", "NULLIF"):
            m = args[0].meta
            return Val(sql, meta(m.datatype, arraysize=m.arraysize, xtype=m.xtype,
                                 unit=m.unit), args[0].shape, const=const)
        unit = args[0].meta.unit if name in ("ABS", "CEILING", "FLOOR") and args else None
        if name == "DEGREES":
            unit = "deg"
        elif name == "RADIANS":
            unit = "rad"
        return Val(sql, meta("double", unit=unit), const=const)

    def in_unit(self, node: n.Function, v: Val) -> Val:
        target = node.args[1]
        if not isinstance(target, n.String):
            raise self.fail(ADQLValidationError, "IN_UNIT needs a unit string literal", node)
        if not v.meta.unit:
            raise self.fail(ADQLValidationError,
                            "IN_UNIT: the unit of the converted expression is unknown", node)
        from soxsvo.adql.translate.units import (
            conversion_factor,  # astropy is imported only when needed
        )

        try:
            factor = conversion_factor(v.meta.unit, target.value)
        except ValueError as exc:
            raise self.fail(ADQLValidationError, f"IN_UNIT: {exc}", target) from None
        return Val(f"({v.sql} * {factor!r})", meta("double", unit=target.value, ucd=v.meta.ucd),
                   const=v.const)

    def udf(self, node: n.Function, scope: Scope) -> Val:
        spec = UDFS.get(node.name)
        if spec is None:
            raise self.fail(ADQLNameError, f"function {node.name!r} is not available here",
                            node, tuple(UDFS)[:0])
        if not spec.min_args <= len(node.args) <= spec.max_args:
            raise self.fail(ADQLValidationError, f"{spec.form}: wrong number of arguments",
                            node)
        args = [self.value(a, scope) for a in node.args]
        s = [a.sql for a in args]
        const = all(a.const for a in args)
        m = meta(spec.datatype, arraysize=spec.arraysize, xtype=spec.xtype, unit=spec.unit)
        if node.name == "ivo_healpix_index":
            if len(args) == 2:
                s = [s[0], geo.coord(args[1], 0), geo.coord(args[1], 1)]
            return Val(f"{geo.SQL_SCHEMA}.healpix_index({', '.join(s)})", m, const=const)
        if node.name == "ivo_healpix_center":
            return Val(f"{geo.SQL_SCHEMA}.healpix_center({s[0]}, {s[1]})", m, "point",
                       const=const)
        if node.name == "ivo_interval_overlaps":
            sql = f"CAST(({s[0]}) <= ({s[3]}) AND ({s[2]}) <= ({s[1]}) AS integer)"
        elif node.name == "ivo_hasword":
            sql = (f"CAST(to_tsvector('simple', CAST({s[0]} AS text)) @@ "
                   f"plainto_tsquery('simple', CAST({s[1]} AS text)) AS integer)")
        elif node.name == "eso_intersection":
            for v, x in zip(args, node.args, strict=True):
                if v.shape is None and v.meta.xtype not in ("point", "circle", "polygon"):
                    raise self.fail(ADQLValidationError, "ESO_INTERSECTION needs regions, "
                                    f"not {v.meta.datatype}", x)
            sql = f"{geo.SQL_SCHEMA}.intersection_area({s[0]}, {s[1]})"
        elif node.name == "eso_dateadd_sec":
            sql = (f"(CAST({s[1]} AS timestamp) + "
                   f"make_interval(secs => CAST({s[0]} AS double precision)))")
        elif node.name == "ivo_nocasematch":
            sql = f"CAST(CAST({s[0]} AS text) ILIKE CAST({s[1]} AS text) AS integer)"
        else:  # ivo_string_agg
            sql = f"string_agg(CAST({s[0]} AS text), CAST({s[1]} AS text))"
        return Val(sql, m, const=const)

    # -- conditions ------------------------------------------------------------------------

    def geo_predicate(self, node: n.Function, scope: Scope) -> str:
        a, b = (self.value(x, scope) for x in node.args)
        for v, x in ((a, node.args[0]), (b, node.args[1])):
            if v.shape is None and v.meta.xtype not in ("point", "circle", "polygon"):
                raise self.fail(ADQLValidationError,
                                f"{node.name} needs geometries, not {v.meta.datatype}", x)
        return geo.predicate(node.name, a, b, self.max_fov)

    def condition(self, node: n.Node, scope: Scope) -> str:
        """Translate a search condition to an SQL boolean expression."""
        if isinstance(node, n.And):
            return f"({self.condition(node.left, scope)} AND {self.condition(node.right, scope)})"
        if isinstance(node, n.Or):
            return f"({self.condition(node.left, scope)} OR {self.condition(node.right, scope)})"
        if isinstance(node, n.Not):
            return f"(NOT {self.condition(node.operand, scope)})"
        if isinstance(node, n.Boolean):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node, n.Comparison):
            return self.comparison(node, scope)
        if isinstance(node, n.Between):
            v, lo, hi = (self.value(x, scope).sql for x in (node.expr, node.low, node.high))
            neg = "NOT " if node.negated else ""
            return f"({v} {neg}BETWEEN {lo} AND {hi})"
        if isinstance(node, n.Like):
            v, p = self.value(node.expr, scope), self.value(node.pattern, scope)
            op = ("NOT " if node.negated else "") + ("ILIKE" if node.ilike else "LIKE")
            return f"(CAST({v.sql} AS text) {op} {p.sql})"
        if isinstance(node, n.InList):
            v = self.value(node.expr, scope).sql
            items = ", ".join(self.value(i, scope).sql for i in node.items)
            return f"({v} {'NOT ' if node.negated else ''}IN ({items}))"
        if isinstance(node, n.InQuery):
            v = self.value(node.expr, scope).sql
            return f"({v} {'NOT ' if node.negated else ''}IN ({self.subquery(node.query, scope)}))"
        if isinstance(node, n.Exists):
            return f"(EXISTS ({self.subquery(node.query, scope)}))"
        if isinstance(node, n.IsNull):
            v = self.value(node.expr, scope).sql
            return f"({v} IS {'NOT ' if node.negated else ''}NULL)"
        raise self.fail(ADQLValidationError, "expected a condition", node)

    def comparison(self, node: n.Comparison, scope: Scope) -> str:
        op = "<>" if node.op == "!=" else node.op
        left, right = node.left, node.right
        # CONTAINS(...) = 1 and friends become boolean q3c predicates.
        for fn, lit in ((left, right), (right, left)):
            if (isinstance(fn, n.Function) and fn.name in ("CONTAINS", "INTERSECTS")
                    and isinstance(lit, n.Number) and lit.text in ("0", "1")
                    and op in ("=", "<>")):
                pred = self.geo_predicate(fn, scope)
                truth = (lit.text == "1") == (op == "=")
                return pred if truth else f"(NOT {pred})"
        # DISTANCE(p, q) < r becomes q3c_join (index on the second point).
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
        for fn, other, o in ((left, right, op), (right, left, flipped.get(op))):
            if isinstance(fn, n.Function) and fn.name == "DISTANCE" and o in ("<", "<="):
                args = [self.value(a, scope) for a in fn.args]
                if len(args) == 4:
                    args = [geo.point(args[:2]), geo.point(args[2:])]
                radius = self.value(other, scope).sql
                sql = geo.distance_within(args[0], args[1], radius)
                if sql is not None:
                    return sql
        a, b = self.value(left, scope), self.value(right, scope)
        return f"({a.sql} {op} {b.sql})"
