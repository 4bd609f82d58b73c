"""Hand-written recursive-descent parser for ADQL 2.1: statements and FROM clauses.

Why hand-written: it is several times faster than lark's LALR on our queries and says
precisely what was expected where (see ``docs/adql.md``).  Expressions are parsed by
:class:`~soxsvo.adql.parse.expressions.ExpressionParser`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLSyntaxError
from soxsvo.adql.parse.base import _CLAUSE_END
from soxsvo.adql.parse.expressions import ExpressionParser
from soxsvo.adql.parse.lexer import EOF, IDENT, KW, OP, QIDENT


class Parser(ExpressionParser):
    """Parse one ADQL query; use :func:`parse` rather than this class."""

    # -- statements ----------------------------------------------------------------------

    def statement(self) -> n.Node:
        pos = self.tok.pos
        if self.accept_kw("WITH"):
            ctes = [self.cte()]
            while self.accept_op(","):
                ctes.append(self.cte())
            body = self.query_expression()
            result: n.Node = n.With(tuple(ctes), body, pos)
        else:
            result = self.query_expression()
        if self.tok.kind != EOF:
            if self.is_op(")"):
                raise self.fail("unbalanced ')'", self.tok.pos)
            raise self.error(_CLAUSE_END)
        return result

    def cte(self) -> n.CTE:
        name = self.identifier("a name for the WITH query")
        columns: list[n.Identifier] = []
        if self.accept_op("("):
            columns.append(self.identifier("a column name"))
            while self.accept_op(","):
                columns.append(self.identifier("a column name"))
            self.expect_op(")")
        self.expect_kw("AS")
        self.expect_op("(")
        self.enter()
        query = self.query_expression()
        self.leave()
        self.expect_op(")")
        return n.CTE(name, query, tuple(columns), name.pos)

    def query_expression(self) -> n.Node:
        """``term {UNION|EXCEPT [ALL] term}``, INTERSECT binding tighter."""
        left, bare = self.query_term()
        combined = False
        while self.is_kw("UNION", "EXCEPT"):
            op = self.advance()
            is_all = self.accept_kw("ALL")
            right, bare = self.query_term()
            left = n.SetOp(op.value, left, right, is_all, pos=op.pos)
            combined = True
        if combined or isinstance(left, n.SetOp):
            left = self._hoist(left, bare)
            if not bare and isinstance(left, n.SetOp) and self.is_kw("ORDER", "OFFSET"):
                # ``(SELECT ...) UNION (SELECT ...) ORDER BY x``: sorts the whole set.
                order: list[n.OrderItem] = []
                if self.accept_kw("ORDER"):
                    self.expect_kw("BY")
                    order.append(self.order_item())
                    while self.accept_op(","):
                        order.append(self.order_item())
                offset = self.unsigned_int("OFFSET") if self.accept_kw("OFFSET") else None
                left = replace(left, order_by=tuple(order), offset=offset)
        return left

    def query_term(self) -> tuple[n.Node, bool]:
        left, bare = self.query_primary()
        while self.is_kw("INTERSECT"):
            op = self.advance()
            is_all = self.accept_kw("ALL")
            right, bare = self.query_primary()
            left = n.SetOp("INTERSECT", left, right, is_all, pos=op.pos)
        return left, bare

    def _hoist(self, node: n.Node, bare: bool) -> n.Node:
        """Move ORDER BY/OFFSET of an unparenthesised last operand to the whole set."""
        if not bare or not isinstance(node, n.SetOp) or node.order_by or node.offset:
            return node
        spine = [node]
        while isinstance(spine[-1], n.SetOp):
            spine.append(spine[-1].right)
        leaf = spine.pop()
        if not isinstance(leaf, n.Select) or not (leaf.order_by or leaf.offset is not None):
            return node
        order, offset = leaf.order_by, leaf.offset
        rebuilt: n.Node = replace(leaf, order_by=(), offset=None)
        for parent in reversed(spine):
            rebuilt = replace(parent, right=rebuilt)
        return replace(rebuilt, order_by=order, offset=offset)

    def query_primary(self) -> tuple[n.Node, bool]:
        if self.is_op("("):
            self.advance()
            self.enter()
            if self.is_kw("WITH"):
                raise self.fail("WITH is only allowed at the start of the query", self.tok.pos)
            inner = self.query_expression()
            self.leave()
            self.expect_op(")")
            return inner, False
        if self.is_kw("WITH"):
            raise self.fail("WITH is only allowed at the start of the whole query", self.tok.pos)
        return self.select(), True

    def select(self) -> n.Select:
        start = self.expect_kw("SELECT").pos
        quantifier = None
        if self.is_kw("ALL", "DISTINCT"):
            quantifier = self.advance().value
        top = self.unsigned_int("TOP") if self.accept_kw("TOP") else None
        items = [self.select_item()]
        while self.accept_op(","):
            items.append(self.select_item())
        if not self.is_kw("FROM"):
            raise self.error("',' or FROM")
        self.advance()
        from_ = self.from_clause()
        where = self.condition("WHERE") if self.accept_kw("WHERE") else None
        group_by: list[n.Node] = []
        if self.accept_kw("GROUP"):
            self.expect_kw("BY")
            group_by.append(self.value())
            while self.accept_op(","):
                group_by.append(self.value())
        having = self.condition("HAVING") if self.accept_kw("HAVING") else None
        order_by: list[n.OrderItem] = []
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            order_by.append(self.order_item())
            while self.accept_op(","):
                order_by.append(self.order_item())
        offset = self.unsigned_int("OFFSET") if self.accept_kw("OFFSET") else None
        return n.Select(
            tuple(items), from_, quantifier, top, where, tuple(group_by), having,
            tuple(order_by), offset, start,
        )

    def select_item(self) -> n.Node:
        tok = self.tok
        if self.accept_op("*"):
            return n.Star((), tok.pos)
        if tok.kind in (IDENT, QIDENT):
            # Look for ``a.b.*`` without consuming anything else.
            j = self.i
            parts = 0
            while self.toks[j].kind in (IDENT, QIDENT) and self.toks[j + 1].value == ".":
                parts += 1
                j += 2
                if self.toks[j].kind == OP and self.toks[j].value == "*":
                    qual = []
                    for _ in range(parts):
                        qual.append(self.identifier())
                        self.advance()
                    self.advance()
                    if len(qual) > 3:
                        raise self.fail("a table name has at most 3 dotted parts", tok.pos)
                    return n.Star(tuple(qual), tok.pos)
        if self.tok.kind == EOF or self.is_kw("FROM"):
            raise self.error("a select-list item")
        expr = self.value()
        return n.SelectItem(expr, self.alias(), tok.pos)

    def order_item(self) -> n.OrderItem:
        pos = self.tok.pos
        expr = self.value()
        desc = None
        if self.is_kw("ASC", "DESC"):
            desc = self.advance().value == "DESC"
        return n.OrderItem(expr, desc, pos)

    # -- FROM ------------------------------------------------------------------------------

    def from_clause(self) -> n.Node:
        left = self.table_reference()
        while self.is_op(","):
            pos = self.advance().pos
            left = n.Join("COMMA", left, self.table_reference(), pos=pos)
        return left

    def table_reference(self) -> n.Node:
        left = self.table_primary()
        while True:
            pos = self.tok.pos
            natural = self.accept_kw("NATURAL")
            kind, explicit_inner = "INNER", False
            if self.is_kw("LEFT", "RIGHT", "FULL"):
                kind = self.advance().value
                self.accept_kw("OUTER")
            elif self.accept_kw("INNER"):
                explicit_inner = True
            elif not natural and self.accept_kw("CROSS"):
                kind = "CROSS"
            elif not natural and not self.is_kw("JOIN"):
                return left
            self.expect_kw("JOIN")
            right = self.table_primary()
            on, using = None, ()
            if kind != "CROSS" and not natural and self.accept_kw("ON"):
                on = self.condition("ON")
            elif kind != "CROSS" and not natural and self.accept_kw("USING"):
                self.expect_op("(")
                cols = [self.identifier("a column name")]
                while self.accept_op(","):
                    cols.append(self.identifier("a column name"))
                self.expect_op(")")
                using = tuple(cols)
            elif explicit_inner and isinstance(right, (n.Table, n.Derived)):
                # ADQL 2.1 wants a join condition; we still accept a bare ``a JOIN b``
                # (as a cross join) like DaCHS does, but not an explicit INNER JOIN.
                raise self.error("ON or USING after INNER JOIN")
            left = n.Join(kind, left, right, natural, on, using, pos)

    def _starts_subquery(self) -> bool:
        j = self.i
        while self.toks[j].kind == OP and self.toks[j].value == "(":
            j += 1
        return self.toks[j].kind == KW and self.toks[j].value in ("SELECT", "WITH")

    def _derived_ahead(self) -> bool:
        """True if the '(' at the cursor opens a subquery followed by its alias."""
        if not self._starts_subquery():
            return False
        level, j = 0, self.i
        toks = self.toks
        while toks[j].kind != EOF:
            if toks[j].kind == OP and toks[j].value in "()":
                level += 1 if toks[j].value == "(" else -1
                if level == 0:
                    after = toks[j + 1]
                    return after.kind in (IDENT, QIDENT) or (
                        after.kind == KW and after.value == "AS"
                    )
            j += 1
        return True

    def table_primary(self) -> n.Node:
        tok = self.tok
        if self.is_op("("):
            if self._derived_ahead():
                query, _ = self.query_primary()
                alias = self.alias()
                if alias is None:
                    raise self.error("an alias for the subquery (… ) AS name")
                return n.Derived(query, alias, tok.pos)
            if self.peek().kind == KW and self.peek().value in ("SELECT", "WITH"):
                self.query_primary()
                raise self.error("an alias for the subquery: (SELECT ...) AS name")
            self.advance()
            self.enter()
            inner = self.table_reference()
            self.leave()
            self.expect_op(")")
            return inner
        first = self.identifier("a table name")
        parts = self.dotted(first, 3, "a table name")
        return n.Table(parts, self.alias(), tok.pos)


def parse(text: str, udfs: Iterable[str] = ()) -> n.Node:
    """Parse one ADQL 2.1 query into a syntax tree.

    Parameters
    ----------
    text : str
        The query.
    udfs : iterable of str, optional
        Names of further user-defined functions to accept (besides the registered ones in
        :data:`soxsvo.adql.functions.FUNCTIONS` and the ``ivo_`` prefix, which ADQL reserves).

    Returns
    -------
    Node
        A :class:`~soxsvo.adql.nodes.Select`, :class:`~soxsvo.adql.nodes.SetOp` or
        :class:`~soxsvo.adql.nodes.With`.

    Raises
    ------
    ADQLSyntaxError
        With ``line`` and ``column`` of the first token that does not fit.
    """
    if not isinstance(text, str):
        raise ADQLSyntaxError("the query must be text")
    if not text.strip():
        raise ADQLSyntaxError("empty query", 1, 1)
    try:
        return Parser(text, udfs).statement()
    except RecursionError:
        raise ADQLSyntaxError("query nested too deeply") from None
