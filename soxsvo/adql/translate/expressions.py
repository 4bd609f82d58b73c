"""Translation of ADQL value expressions and conditions to PostgreSQL.

Only SQL we write ourselves reaches the output: literals become bound parameters
(strings) or re-formatted numbers, names come from :mod:`~soxsvo.adql.translate.scope`, and
functions are translated by the SQL forms of their declarations
(:mod:`soxsvo.adql.functions`).
"""

from __future__ import annotations

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLNameError, ADQLValidationError
from soxsvo.adql.functions import CAST_TYPES, FUNCTIONS, Call
from soxsvo.adql.translate import geometry as geo
from soxsvo.adql.translate.scope import (
    BOOL,
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


class ExpressionTranslator:
    """Mixin of :class:`~soxsvo.adql.translate.translator.Translator` for expressions."""

    text: str
    params: dict[str, object]
    max_fov: geo.FovBound | None

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
            m = v.meta if v.meta.datatype in INTEGRAL or op != "~" else LONG
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
        integral = a.meta.datatype in INTEGRAL and b.meta.datatype in INTEGRAL
        unit = a.meta.unit if node.op in "+-" and a.meta.unit == b.meta.unit else None
        m = meta("long" if integral else "double", unit=unit)
        return Val(f"({a.sql} {node.op} {b.sql})", m, const=const)

    def case(self, node: n.Case, scope: Scope) -> Val:
        parts = ["CASE"]
        if node.operand is not None:
            parts.append(self.value(node.operand, scope).sql)
        results = []
        for cond, result in node.whens:
            test = (self.value(cond, scope).sql if node.operand is not None
                    else self.condition(cond, scope))
            results.append(self.value(result, scope))
            parts.append(f"WHEN {test} THEN {results[-1].sql}")
        if node.else_ is not None:
            results.append(self.value(node.else_, scope))
            parts.append(f"ELSE {results[-1].sql}")
        parts.append("END")
        result_meta, shape = common_meta(results)
        return Val("(" + " ".join(parts) + ")", result_meta, shape)

    def cast(self, node: n.Cast, scope: Scope) -> Val:
        v = self.value(node.expr, scope)
        target = CAST_TYPES[node.type]
        if target is None:  # a geometry
            if v.shape is not None:
                return v
            sql = (f"CAST(regexp_split_to_array(btrim(CAST({v.sql} AS text)), "
                   f"'[[:space:]]+') AS double precision[])")
            shape = node.type.lower()
            return Val(sql, geo.geom_meta(shape), shape)
        sql_type, datatype = target
        if node.length is not None:
            sql_type += f"({node.length})"
        size = str(node.length) if node.length else ("*" if datatype == "char" else None)
        m = meta(datatype, arraysize=size,
                 xtype="timestamp" if node.type == "TIMESTAMP" else None)
        return Val(f"CAST({v.sql} AS {sql_type})", m, const=v.const)

    # -- functions ---------------------------------------------------------------------

    def function(self, node: n.Function, scope: Scope) -> Val:
        """Translate a call through its declaration in :data:`~soxsvo.adql.functions.FUNCTIONS`."""
        fn = FUNCTIONS.get(node.name)
        if fn is None:  # a name given to parse(udfs=...) or an ivo_* name we do not have
            raise self.fail(ADQLNameError, f"function {node.name!r} is not available here",
                            node)
        # The parser checks the argument counts of built-ins (a syntax error), not of UDFs.
        if fn.udf and not fn.min_args <= len(node.args) <= fn.max_args:
            raise self.fail(ADQLValidationError, f"{fn.signature}: wrong number of arguments",
                            node)
        args = [self.value(a, scope) for a in fn.operands(node)]
        return fn.sql(Call(fn, node, args, self, scope))

    # -- conditions ------------------------------------------------------------------------

    def geo_predicate(self, node: n.Function, scope: Scope) -> str:
        a, b = (self.value(x, scope) for x in node.args)
        for v, x in ((a, node.args[0]), (b, node.args[1])):
            if v.shape is None and v.meta.xtype not in GEOMETRY_XTYPES:
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
