"""Token-stream machinery shared by the ADQL parser classes.

Holds the cursor over the token list, the nesting guard and the helpers that build
"expected X, found Y" messages with line and column.
"""

from __future__ import annotations

from collections.abc import Iterable

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLSyntaxError
from soxsvo.adql.functions import FUNCTIONS, UDF_NAMES
from soxsvo.adql.parse.lexer import EOF, IDENT, KW, NUM, OP, QIDENT, Token, syntax_error, tokenize

#: Maximal nesting (parentheses, function calls, subqueries, operator chains) accepted.
#: Keeps every later recursive walk (printer, translator) far from Python's stack limit.
MAX_DEPTH = 100

_COMPARISON = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})
_CLAUSE_END = "WHERE, GROUP BY, HAVING, ORDER BY, OFFSET, a set operator or the end"


def _kind(node: n.Node) -> str:
    """Coarse value kind of ``node`` (``num``, ``str``, ``geom``, ``bool``, ``any``)."""
    if isinstance(node, n.Number):
        return "num"
    if isinstance(node, n.String):
        return "str"
    if isinstance(node, n.CONDITIONS):
        return "bool"
    if isinstance(node, n.Unary):
        return "num"
    if isinstance(node, n.Binary):
        return "str" if node.op == "||" else "num"
    if isinstance(node, n.Function):
        spec = FUNCTIONS.get(node.name)
        return spec.kind if spec else "any"
    if isinstance(node, n.Cast):
        if node.type in ("POINT", "CIRCLE", "POLYGON"):
            return "geom"
        return "str" if node.type in ("CHAR", "VARCHAR", "TIMESTAMP") else "num"
    return "any"


class ParserBase:
    """Cursor over the tokens of one query, with error helpers."""

    def __init__(self, text: str, udfs: Iterable[str] = ()):
        self.text = text
        self.toks: list[Token] = tokenize(text)
        self.i = 0
        self.depth = 0
        self.udfs = frozenset(u.lower() for u in udfs) | UDF_NAMES

    # -- token helpers ---------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        tok = self.toks[self.i]
        return tok.kind == KW and tok.value in words

    def is_op(self, *ops: str) -> bool:
        tok = self.toks[self.i]
        return tok.kind == OP and tok.value in ops

    def accept_kw(self, word: str) -> bool:
        if self.is_kw(word):
            self.i += 1
            return True
        return False

    def accept_op(self, op: str) -> bool:
        if self.is_op(op):
            self.i += 1
            return True
        return False

    def error(self, expected: str, tok: Token | None = None) -> ADQLSyntaxError:
        tok = tok or self.tok
        found = "end of query" if tok.kind == EOF else repr(self.text[tok.pos :].split()[0][:30])
        if tok.kind == KW and expected.startswith(("a name", "an alias", "a column")):
            found += " (a reserved word: put it in double quotes to use it as a name)"
        return syntax_error(self.text, tok.pos, f"expected {expected}, found {found}")

    def fail(self, message: str, pos: int) -> ADQLSyntaxError:
        return syntax_error(self.text, pos, message)

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.error(word)
        return self.advance()

    def expect_op(self, op: str) -> Token:
        if not self.is_op(op):
            raise self.error(f"'{op}'")
        return self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"query nested too deeply (more than {MAX_DEPTH} levels)", self.tok.pos)

    def leave(self) -> None:
        self.depth -= 1

    # -- names -------------------------------------------------------------------------

    def identifier(self, what: str = "a name") -> n.Identifier:
        tok = self.tok
        if tok.kind == IDENT:
            self.i += 1
            return n.Identifier(tok.value, False, tok.pos)
        if tok.kind == QIDENT:
            self.i += 1
            return n.Identifier(tok.value, True, tok.pos)
        raise self.error(what)

    def dotted(self, first: n.Identifier, limit: int, what: str) -> tuple[n.Identifier, ...]:
        parts = [first]
        while self.is_op(".") and self.peek().kind in (IDENT, QIDENT):
            self.i += 1
            parts.append(self.identifier())
        if len(parts) > limit:
            raise self.fail(f"{what} has at most {limit} dotted parts", first.pos)
        return tuple(parts)

    def alias(self) -> n.Identifier | None:
        if self.accept_kw("AS"):
            return self.identifier("an alias after AS")
        if self.tok.kind in (IDENT, QIDENT):
            return self.identifier()
        return None

    def unsigned_int(self, what: str) -> int:
        tok = self.tok
        if tok.kind == NUM and tok.value.isdigit():
            self.i += 1
            return int(tok.value)
        raise self.error(f"an unsigned integer after {what}")

