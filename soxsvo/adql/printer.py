"""Print a syntax tree back as ADQL text (:func:`to_adql`).

The output is canonical rather than pretty: every binary operation is parenthesised and
keywords are upper case, so that ``parse(to_adql(tree)) == tree`` always holds.
"""

from __future__ import annotations

from functools import singledispatch

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLError


def ident(node: n.Identifier) -> str:
    """ADQL spelling of an identifier (delimited ones re-quoted)."""
    if node.quoted:
        return '"' + node.name.replace('"', '""') + '"'
    return node.name


def _dotted(parts: tuple[n.Identifier, ...]) -> str:
    return ".".join(ident(p) for p in parts)


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@singledispatch
def _p(node: n.Node) -> str:  # pragma: no cover - every node type is registered
    raise ADQLError(f"cannot print {type(node).__name__}")


@_p.register
def _(node: n.ColumnRef) -> str:
    return _dotted(node.parts)


@_p.register
def _(node: n.Star) -> str:
    return _dotted(node.qualifier) + ".*" if node.qualifier else "*"


@_p.register
def _(node: n.Number) -> str:
    return node.text


@_p.register
def _(node: n.String) -> str:
    return _string(node.value)


@_p.register
def _(node: n.Null) -> str:
    return "NULL"


@_p.register
def _(node: n.Boolean) -> str:
    return "TRUE" if node.value else "FALSE"


@_p.register
def _(node: n.Unary) -> str:
    return f"({node.op}{_p(node.operand)})"


@_p.register
def _(node: n.Binary) -> str:
    return f"({_p(node.left)} {node.op} {_p(node.right)})"


@_p.register
def _(node: n.Function) -> str:
    if node.star:
        return f"{node.name}(*)"
    prefix = "DISTINCT " if node.distinct else ""
    return f"{node.name}({prefix}{', '.join(_p(a) for a in node.args)})"


@_p.register
def _(node: n.Cast) -> str:
    length = f"({node.length})" if node.length is not None else ""
    return f"CAST({_p(node.expr)} AS {node.type}{length})"


@_p.register
def _(node: n.Case) -> str:
    parts = ["CASE"]
    if node.operand is not None:
        parts.append(_p(node.operand))
    for cond, value in node.whens:
        parts.append(f"WHEN {_p(cond)} THEN {_p(value)}")
    if node.else_ is not None:
        parts.append(f"ELSE {_p(node.else_)}")
    parts.append("END")
    return " ".join(parts)


@_p.register
def _(node: n.Comparison) -> str:
    return f"({_p(node.left)} {node.op} {_p(node.right)})"


@_p.register
def _(node: n.Between) -> str:
    neg = "NOT " if node.negated else ""
    return f"({_p(node.expr)} {neg}BETWEEN {_p(node.low)} AND {_p(node.high)})"


@_p.register
def _(node: n.Like) -> str:
    neg = "NOT " if node.negated else ""
    op = "ILIKE" if node.ilike else "LIKE"
    return f"({_p(node.expr)} {neg}{op} {_p(node.pattern)})"


@_p.register
def _(node: n.InList) -> str:
    neg = "NOT " if node.negated else ""
    return f"({_p(node.expr)} {neg}IN ({', '.join(_p(i) for i in node.items)}))"


@_p.register
def _(node: n.InQuery) -> str:
    neg = "NOT " if node.negated else ""
    return f"({_p(node.expr)} {neg}IN ({_p(node.query)}))"


@_p.register
def _(node: n.Exists) -> str:
    return f"(EXISTS ({_p(node.query)}))"


@_p.register
def _(node: n.IsNull) -> str:
    return f"({_p(node.expr)} IS {'NOT ' if node.negated else ''}NULL)"


@_p.register
def _(node: n.And) -> str:
    return f"({_p(node.left)} AND {_p(node.right)})"


@_p.register
def _(node: n.Or) -> str:
    return f"({_p(node.left)} OR {_p(node.right)})"


@_p.register
def _(node: n.Not) -> str:
    return f"(NOT {_p(node.operand)})"


@_p.register
def _(node: n.SelectItem) -> str:
    return _p(node.expr) + (f" AS {ident(node.alias)}" if node.alias else "")


@_p.register
def _(node: n.OrderItem) -> str:
    suffix = {None: "", True: " DESC", False: " ASC"}[node.descending]
    return _p(node.expr) + suffix


@_p.register
def _(node: n.Table) -> str:
    return _dotted(node.parts) + (f" AS {ident(node.alias)}" if node.alias else "")


@_p.register
def _(node: n.Derived) -> str:
    return f"({_p(node.query)}) AS {ident(node.alias)}"


@_p.register
def _(node: n.Join) -> str:
    right = _p(node.right)
    if isinstance(node.right, n.Join):
        right = f"({right})"
    if node.kind == "COMMA":
        return f"{_p(node.left)}, {right}"
    words = ["NATURAL"] if node.natural else []
    if node.kind != "INNER":
        words.append(node.kind if node.kind == "CROSS" else node.kind + " OUTER")
    words.append("JOIN")
    text = f"{_p(node.left)} {' '.join(words)} {right}"
    if node.on is not None:
        text += f" ON {_p(node.on)}"
    elif node.using:
        text += f" USING ({', '.join(ident(c) for c in node.using)})"
    return text


def _tail(order_by: tuple[n.OrderItem, ...], offset: int | None) -> str:
    text = ""
    if order_by:
        text += " ORDER BY " + ", ".join(_p(o) for o in order_by)
    if offset is not None:
        text += f" OFFSET {offset}"
    return text


@_p.register
def _(node: n.Select) -> str:
    parts = ["SELECT"]
    if node.quantifier:
        parts.append(node.quantifier)
    if node.top is not None:
        parts.append(f"TOP {node.top}")
    parts.append(", ".join(_p(i) for i in node.items))
    parts.append("FROM " + _p(node.from_))
    if node.where is not None:
        parts.append("WHERE " + _p(node.where))
    if node.group_by:
        parts.append("GROUP BY " + ", ".join(_p(g) for g in node.group_by))
    if node.having is not None:
        parts.append("HAVING " + _p(node.having))
    return " ".join(parts) + _tail(node.order_by, node.offset)


def _operand(node: n.Node) -> str:
    # Parenthesise every operand: keeps ORDER BY/OFFSET of operands attached to them and
    # makes INTERSECT precedence explicit.
    return f"({_p(node)})"


@_p.register
def _(node: n.SetOp) -> str:
    op = node.op + (" ALL" if node.all else "")
    return f"{_operand(node.left)} {op} {_operand(node.right)}" + _tail(
        node.order_by, node.offset
    )


@_p.register
def _(node: n.CTE) -> str:
    cols = f"({', '.join(ident(c) for c in node.columns)})" if node.columns else ""
    return f"{ident(node.name)}{cols} AS ({_p(node.query)})"


@_p.register
def _(node: n.With) -> str:
    return "WITH " + ", ".join(_p(c) for c in node.ctes) + " " + _p(node.body)


def to_adql(tree: n.Node) -> str:
    """Return ADQL text that parses back to ``tree``.

    Parameters
    ----------
    tree : Node
        A tree from :func:`soxsvo.adql.parse` (or any sub-tree).

    Returns
    -------
    str
        Canonical ADQL: upper-case keywords, fully parenthesised operations.
    """
    try:
        return _p(tree)
    except RecursionError:
        raise ADQLError("query nested too deeply to print") from None
