"""Syntax-tree nodes of ADQL queries.

Nodes are frozen dataclasses so that two parses of equivalent text compare equal; the
source offset ``pos`` is excluded from comparison (it only serves error messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _pos() -> int:
    return field(default=-1, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Node:
    """Base class of every tree node."""


@dataclass(frozen=True, slots=True)
class Identifier(Node):
    """A name; ``quoted`` identifiers are case-sensitive, regular ones are not."""

    name: str
    quoted: bool = False
    pos: int = _pos()

    @property
    def key(self) -> str:
        """Comparison key: regular identifiers fold to lower case."""
        return self.name if self.quoted else self.name.lower()


@dataclass(frozen=True, slots=True)
class ColumnRef(Node):
    """``[[[catalog.]schema.]table.]column``."""

    parts: tuple[Identifier, ...]
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Star(Node):
    """``*`` or ``qualifier.*`` in a select list."""

    qualifier: tuple[Identifier, ...] = ()
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Number(Node):
    """Unsigned numeric literal; ``text`` is as written (hex included)."""

    text: str
    pos: int = _pos()

    @property
    def is_integer(self) -> bool:
        t = self.text.lower()
        return t.startswith("0x") or not any(c in t for c in ".e")


@dataclass(frozen=True, slots=True)
class String(Node):
    """String literal (already unescaped)."""

    value: str
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Null(Node):
    """The NULL literal."""

    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Boolean(Node):
    """TRUE or FALSE."""

    value: bool
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """Prefix ``-``, ``+`` or ``~``."""

    op: str
    operand: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic, concatenation (``||``) or bitwise (``&``, ``|``, ``^``) operation."""

    op: str
    left: Node
    right: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Function(Node):
    """Function call: ADQL built-ins (upper-case name), aggregates and UDFs.

    ``star`` marks ``COUNT(*)``, ``distinct`` marks ``COUNT(DISTINCT x)`` etc.
    """

    name: str
    args: tuple[Node, ...] = ()
    distinct: bool = False
    star: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Cast(Node):
    """``CAST(expr AS type[(length)])``; ``type`` is canonical upper case."""

    expr: Node
    type: str
    length: int | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Case(Node):
    """Simple (``operand`` set) or searched CASE expression."""

    operand: Node | None
    whens: tuple[tuple[Node, Node], ...]
    else_: Node | None = None
    pos: int = _pos()


# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    """``left op right`` with op one of = != <> < <= > >=."""

    op: str
    left: Node
    right: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Between(Node):
    expr: Node
    low: Node
    high: Node
    negated: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Like(Node):
    expr: Node
    pattern: Node
    negated: bool = False
    ilike: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class InList(Node):
    expr: Node
    items: tuple[Node, ...]
    negated: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class InQuery(Node):
    expr: Node
    query: Node
    negated: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Exists(Node):
    query: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    expr: Node
    negated: bool = False
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Node
    right: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Node
    right: Node
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node
    pos: int = _pos()


#: Node types whose value is a truth value (usable as a search condition).
CONDITIONS = (Comparison, Between, Like, InList, InQuery, Exists, IsNull, And, Or, Not, Boolean)


# --- queries --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectItem(Node):
    expr: Node
    alias: Identifier | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class OrderItem(Node):
    expr: Node
    descending: bool | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Table(Node):
    """A named table ``[[catalog.]schema.]table [AS alias]``."""

    parts: tuple[Identifier, ...]
    alias: Identifier | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Derived(Node):
    """A subquery in FROM; ADQL requires the alias."""

    query: Node
    alias: Identifier
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Join(Node):
    """A joined table.

    ``kind`` is INNER, LEFT, RIGHT, FULL, CROSS or COMMA (``a, b``).
    """

    kind: str
    left: Node
    right: Node
    natural: bool = False
    on: Node | None = None
    using: tuple[Identifier, ...] = ()
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class Select(Node):
    """One SELECT block."""

    items: tuple[Node, ...]
    from_: Node
    quantifier: str | None = None
    top: int | None = None
    where: Node | None = None
    group_by: tuple[Node, ...] = ()
    having: Node | None = None
    order_by: tuple[OrderItem, ...] = ()
    offset: int | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class SetOp(Node):
    """UNION / INTERSECT / EXCEPT; ORDER BY and OFFSET apply to the combined result."""

    op: str
    left: Node
    right: Node
    all: bool = False
    order_by: tuple[OrderItem, ...] = ()
    offset: int | None = None
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class CTE(Node):
    name: Identifier
    query: Node
    columns: tuple[Identifier, ...] = ()
    pos: int = _pos()


@dataclass(frozen=True, slots=True)
class With(Node):
    """Top-level ``WITH name AS (query), ... body``."""

    ctes: tuple[CTE, ...]
    body: Node
    pos: int = _pos()
