"""Conditions and value expressions of ADQL (the expression half of the parser).

Boolean and value expressions share one precedence ladder so that parenthesised
conditions never need backtracking (backtracking is exponential on nested parentheses);
whether an expression is a condition is checked afterwards from the node type.
"""

from __future__ import annotations

from soxsvo.adql import nodes as n
from soxsvo.adql.functions import CAST_TYPES, FUNCTIONS, FunctionDef
from soxsvo.adql.parse.base import _COMPARISON, MAX_DEPTH, ParserBase, _kind
from soxsvo.adql.parse.lexer import EOF, HEX, IDENT, KW, NUM, OP, QIDENT, STR, Token


class ExpressionParser(ParserBase):
    """Parses search conditions and value expressions."""

    # -- conditions ------------------------------------------------------------------------

    def condition(self, where: str) -> n.Node:
        pos = self.tok.pos
        if self.tok.kind == EOF:
            raise self.error(f"a condition after {where}")
        node = self.disjunction()
        if _kind(node) != "bool":
            raise self.fail(
                f"expected a condition after {where} (e.g. a comparison like x = 1)", pos
            )
        return node

    def disjunction(self) -> n.Node:
        self.enter()
        left = self.conjunction()
        chain = 0
        while self.is_kw("OR"):
            pos = self.advance().pos
            left = n.Or(self._bool(left), self._bool(self.conjunction()), pos)
            chain += 1
            self._chain(chain)
        self.leave()
        return left

    def conjunction(self) -> n.Node:
        left = self.negation()
        chain = 0
        while self.is_kw("AND"):
            pos = self.advance().pos
            left = n.And(self._bool(left), self._bool(self.negation()), pos)
            chain += 1
            self._chain(chain)
        return left

    def _chain(self, length: int) -> None:
        if self.depth + length > MAX_DEPTH * 4:
            raise self.fail("expression too long: split it or use IN (...)", self.tok.pos)

    def _bool(self, node: n.Node) -> n.Node:
        if _kind(node) != "bool":
            raise self.fail("expected a condition (e.g. a comparison) here", node.pos)
        return node

    def negation(self) -> n.Node:
        if self.is_kw("NOT"):
            pos = self.advance().pos
            self.enter()
            operand = self._bool(self.negation())
            self.leave()
            return n.Not(operand, pos)
        if self.is_kw("EXISTS"):
            pos = self.advance().pos
            if not self.is_op("("):
                raise self.error("'(' and a subquery after EXISTS")
            return n.Exists(self.subquery(), pos)
        return self.predicate()

    def subquery(self) -> n.Node:
        if not self._starts_subquery():
            raise self.error("a subquery (SELECT ...)", self.peek())
        query, _ = self.query_primary()
        return query

    def predicate(self) -> n.Node:
        left = self.value()
        tok = self.tok
        if tok.kind == OP and tok.value in _COMPARISON:
            self.advance()
            right = self.value()
            for side in (left, right):
                if _kind(side) == "bool":
                    raise self.fail("a condition cannot be compared", side.pos)
            return n.Comparison(tok.value, left, right, tok.pos)
        negated = False
        if self.is_kw("NOT") and self.peek().kind == KW and self.peek().value in (
            "BETWEEN", "IN", "LIKE", "ILIKE"
        ):
            self.advance()
            negated = True
        if self.accept_kw("BETWEEN"):
            low = self.value()
            self.expect_kw("AND")
            high = self.value()
            return n.Between(left, low, high, negated, tok.pos)
        if self.is_kw("LIKE", "ILIKE"):
            ilike = self.advance().value == "ILIKE"
            return n.Like(left, self.value(), negated, ilike, tok.pos)
        if self.accept_kw("IN"):
            if not self.is_op("("):
                raise self.error("'(' after IN")
            if self._starts_subquery():
                return n.InQuery(left, self.subquery(), negated, tok.pos)
            self.advance()
            items = [self.value()]
            while self.accept_op(","):
                items.append(self.value())
            self.expect_op(")")
            return n.InList(left, tuple(items), negated, tok.pos)
        if negated:
            raise self.error("BETWEEN, IN, LIKE or ILIKE after NOT")
        if self.accept_kw("IS"):
            neg = self.accept_kw("NOT")
            self.expect_kw("NULL")
            return n.IsNull(left, neg, tok.pos)
        return left

    # -- value expressions -----------------------------------------------------------------

    def _operand(self, node: n.Node, op: str) -> n.Node:
        kind = _kind(node)
        if kind == "geom":
            raise self.fail(f"a geometry cannot be an operand of '{op}'", node.pos)
        if kind == "bool":
            raise self.fail(f"a condition cannot be an operand of '{op}'", node.pos)
        return node

    def _binary_level(self, ops: tuple[str, ...], operand) -> n.Node:
        left = operand()
        chain = 0
        while self.tok.kind == OP and self.tok.value in ops:
            tok = self.advance()
            right = operand()
            left = n.Binary(
                tok.value, self._operand(left, tok.value), self._operand(right, tok.value),
                tok.pos,
            )
            chain += 1
            self._chain(chain)
        return left

    def value(self) -> n.Node:
        self.enter()
        node = self._binary_level(("|",), self._bitxor)
        self.leave()
        return node

    def _bitxor(self) -> n.Node:
        return self._binary_level(("^",), self._bitand)

    def _bitand(self) -> n.Node:
        return self._binary_level(("&",), self._additive)

    def _additive(self) -> n.Node:
        return self._binary_level(("+", "-", "||"), self._multiplicative)

    def _multiplicative(self) -> n.Node:
        return self._binary_level(("*", "/"), self._unary)

    def _unary(self) -> n.Node:
        tok = self.tok
        if tok.kind == OP and tok.value in ("+", "-", "~"):
            self.advance()
            self.enter()
            operand = self._operand(self._unary(), tok.value)
            self.leave()
            return n.Unary(tok.value, operand, tok.pos)
        return self.primary()

    def primary(self) -> n.Node:
        tok = self.tok
        kind = tok.kind
        if kind in (NUM, HEX):
            self.advance()
            return n.Number(tok.value, tok.pos)
        if kind == STR:
            self.advance()
            return n.String(tok.value, tok.pos)
        if kind == OP and tok.value == "(":
            if self._starts_subquery():
                raise self.fail("a subquery is not allowed here (only after IN or EXISTS)",
                                tok.pos)
            self.advance()
            inner = self.disjunction()
            self.expect_op(")")
            return inner
        if kind == KW:
            word = tok.value
            if word == "NULL":
                self.advance()
                return n.Null(tok.pos)
            if word in ("TRUE", "FALSE"):
                self.advance()
                return n.Boolean(word == "TRUE", tok.pos)
            if word == "CASE":
                return self.case()
            if word == "CAST":
                return self.cast()
            if word in FUNCTIONS:  # upper case: a built-in (UDF keys are lower case)
                return self.call(word, tok)
            raise self.error("a value (number, string, column or function call)")
        if kind in (IDENT, QIDENT):
            if kind == IDENT and self.peek().kind == OP and self.peek().value == "(":
                name = tok.value.upper()
                if name in FUNCTIONS:
                    return self.call(name, tok)
                return self.udf_call(tok)
            first = self.identifier()
            return n.ColumnRef(self.dotted(first, 4, "a column name"), tok.pos)
        raise self.error("a value (number, string, column or function call)")

    def arguments(self, allow_quantifier: bool = False) -> tuple[list[n.Node], bool, bool]:
        """Parse ``( [DISTINCT|ALL] args )``; return (args, distinct, star)."""
        self.expect_op("(")
        self.enter()
        distinct = star = False
        args: list[n.Node] = []
        if allow_quantifier and self.is_kw("DISTINCT", "ALL"):
            distinct = self.advance().value == "DISTINCT"
        if allow_quantifier and self.is_op("*"):
            self.advance()
            star = True
        elif not self.is_op(")"):
            args.append(self.value())
            while self.accept_op(","):
                args.append(self.value())
        self.leave()
        self.expect_op(")")
        return args, distinct, star

    def call(self, name: str, tok: Token) -> n.Node:
        self.advance()
        spec = FUNCTIONS[name]
        aggregate = spec.aggregate
        args, distinct, star = self.arguments(allow_quantifier=aggregate)
        if star and (name != "COUNT" or distinct):
            raise self.fail("only COUNT accepts '*' (and not with DISTINCT)", tok.pos)
        count = 1 if star else len(args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            expected = str(spec.min_args)
            if spec.max_args != spec.min_args:
                expected += f" to {spec.max_args}" if spec.max_args is not None else " or more"
            raise self.fail(f"{name} takes {expected} argument(s), {count} given", tok.pos)
        if spec.group in ("math", "trig", "string", "bitwise") or aggregate:
            for arg in args:
                if _kind(arg) == "geom":
                    raise self.fail(f"{name} does not accept a geometry", arg.pos)
        if spec.group == "geometry":
            self._check_geometry(spec, args, tok.pos)
        return n.Function(name, tuple(args), distinct, star, tok.pos)

    def _check_geometry(self, spec: FunctionDef, args: list[n.Node], pos: int) -> None:
        name = spec.name
        if not spec.coordsys:  # not POINT, CIRCLE, BOX or POLYGON
            if name == "DISTANCE" and len(args) == 3:
                raise self.fail("DISTANCE takes 2 points or 4 coordinates", pos)
            return
        rest = args
        if isinstance(args[0], (n.String, n.Null)):
            rest = args[1:]  # the (deprecated) coordinate system argument
        geometric = [isinstance(a, n.Function) and a.name == "POINT" for a in rest]
        counts = {"POINT": (2,), "CIRCLE": (3, 2), "BOX": (4, 3)}
        if name == "POLYGON":
            ok = (len(rest) >= 6 and len(rest) % 2 == 0 and not any(geometric)) or (
                len(rest) >= 3 and all(_kind(a) in ("geom", "any") for a in rest)
                and not any(_kind(a) == "num" for a in rest)
            )
            if not ok:
                raise self.fail("POLYGON needs at least 3 vertices (pairs of coordinates "
                                "or points)", pos)
            return
        wanted = counts[name]
        if len(rest) not in wanted:
            raise self.fail(f"wrong number of arguments for {name}", pos)
        if len(rest) == wanted[-1] and len(wanted) > 1 and _kind(rest[0]) in ("num", "str"):
            raise self.fail(f"{name} needs a centre (two coordinates or a point)", pos)

    def udf_call(self, tok: Token) -> n.Node:
        name = tok.value.lower()
        if name not in self.udfs and not name.startswith("ivo_"):
            raise self.fail(
                f"unknown function {tok.value!r}: neither ADQL nor a declared "
                "user-defined function", tok.pos,
            )
        self.advance()
        args, _, _ = self.arguments()
        return n.Function(name, tuple(args), pos=tok.pos)

    def case(self) -> n.Node:
        pos = self.advance().pos
        self.enter()
        operand = None if self.is_kw("WHEN") else self.value()
        whens = []
        while self.accept_kw("WHEN"):
            cond = self.value() if operand is not None else self.condition("WHEN")
            self.expect_kw("THEN")
            whens.append((cond, self.value()))
        if not whens:
            raise self.error("WHEN")
        else_ = self.value() if self.accept_kw("ELSE") else None
        self.expect_kw("END")
        self.leave()
        return n.Case(operand, tuple(whens), else_, pos)

    def cast(self) -> n.Node:
        pos = self.advance().pos
        self.expect_op("(")
        self.enter()
        expr = self.value()
        self.expect_kw("AS")
        tok = self.tok
        if tok.kind not in (KW, IDENT):
            raise self.error("a type name after AS")
        self.advance()
        type_ = tok.value.upper()
        if type_ == "DOUBLE":
            self.expect_kw("PRECISION")
            type_ = "DOUBLE PRECISION"
        if type_ not in CAST_TYPES:
            raise self.fail(
                f"cannot CAST to {tok.value}; use one of {', '.join(sorted(CAST_TYPES))}",
                tok.pos,
            )
        length = None
        if type_ in ("CHAR", "VARCHAR") and self.accept_op("("):
            length = self.unsigned_int("the length of " + type_)
            self.expect_op(")")
        self.leave()
        self.expect_op(")")
        return n.Cast(expr, type_, length, pos)
