"""Tokenizer for ADQL 2.1 text.

One compiled regular expression scans the whole query; this is the single hottest loop of
the package, hence no per-character Python code.  Positions are kept as offsets and turned
into line/column only when an error is reported (or lazily on request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soxsvo.adql.errors import ADQLSyntaxError

#: ADQL 2.1 reserved words (ADQL and SQL lists of the BNF, plus OFFSET which 2.1 uses
#: as a clause keyword).  A regular identifier spelled like one of these is a keyword.
RESERVED = frozenset(
    {
        "ABS", "ACOS", "AREA", "ASIN", "ATAN", "ATAN2", "BIT_AND", "BIT_NOT", "BIT_OR",
        "BIT_XOR", "BOX", "CEILING", "CENTROID", "CIRCLE", "CONTAINS", "COORD1", "COORD2",
        "COORDSYS", "COS", "DEGREES", "DISTANCE", "EXP", "FLOOR", "ILIKE", "INTERSECTS",
        "IN_UNIT", "LOG", "LOG10", "MOD", "PI", "POINT", "POLYGON", "POWER", "RADIANS",
        "REGION", "RAND", "ROUND", "SIN", "SQRT", "TOP", "TAN", "TRUNCATE", "OFFSET",
        "ABSOLUTE", "ACTION", "ADD", "ALL", "ALLOCATE", "ALTER", "AND", "ANY", "ARE", "AS",
        "ASC", "ASSERTION", "AT", "AUTHORIZATION", "AVG", "BEGIN", "BETWEEN", "BIT",
        "BIT_LENGTH", "BOTH", "BY", "CASCADE", "CASCADED", "CASE", "CAST", "CATALOG",
        "CHAR", "CHARACTER", "CHAR_LENGTH", "CHARACTER_LENGTH", "CHECK", "CLOSE",
        "COALESCE", "COLLATE", "COLLATION", "COLUMN", "COMMIT", "CONNECT", "CONNECTION",
        "CONSTRAINT", "CONSTRAINTS", "CONTINUE", "CONVERT", "CORRESPONDING", "COUNT",
        "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP",
        "CURRENT_USER", "CURSOR", "DATE", "DAY", "DEALLOCATE", "DECIMAL", "DECLARE",
        "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC", "DESCRIBE", "DESCRIPTOR",
        "DIAGNOSTICS", "DISCONNECT", "DISTINCT", "DOMAIN", "DOUBLE", "DROP", "ELSE", "END",
        "END-EXEC", "ESCAPE", "EXCEPT", "EXCEPTION", "EXEC", "EXECUTE", "EXISTS",
        "EXTERNAL", "EXTRACT", "FALSE", "FETCH", "FIRST", "FLOAT", "FOR", "FOREIGN",
        "FOUND", "FROM", "FULL", "GET", "GLOBAL", "GO", "GOTO", "GRANT", "GROUP", "HAVING",
        "HOUR", "IDENTITY", "IMMEDIATE", "IN", "INDICATOR", "INITIALLY", "INNER", "INPUT",
        "INSENSITIVE", "INSERT", "INT", "INTEGER", "INTERSECT", "INTERVAL", "INTO", "IS",
        "ISOLATION", "JOIN", "KEY", "LANGUAGE", "LAST", "LEADING", "LEFT", "LEVEL", "LIKE",
        "LOCAL", "LOWER", "MATCH", "MAX", "MIN", "MINUTE", "MODULE", "MONTH", "NAMES",
        "NATIONAL", "NATURAL", "NCHAR", "NEXT", "NO", "NOT", "NULL", "NULLIF", "NUMERIC",
        "OCTET_LENGTH", "OF", "ON", "ONLY", "OPEN", "OPTION", "OR", "ORDER", "OUTER",
        "OUTPUT", "OVERLAPS", "PAD", "PARTIAL", "POSITION", "PRECISION", "PREPARE",
        "PRESERVE", "PRIMARY", "PRIOR", "PRIVILEGES", "PROCEDURE", "PUBLIC", "READ", "REAL",
        "REFERENCES", "RELATIVE", "RESTRICT", "REVOKE", "RIGHT", "ROLLBACK", "ROWS",
        "SCHEMA", "SCROLL", "SECOND", "SECTION", "SELECT", "SESSION", "SESSION_USER", "SET",
        "SIZE", "SMALLINT", "SOME", "SPACE", "SQL", "SQLCODE", "SQLERROR", "SQLSTATE",
        "SUBSTRING", "SUM", "SYSTEM_USER", "TABLE", "TEMPORARY", "THEN", "TIME",
        "TIMESTAMP", "TIMEZONE_HOUR", "TIMEZONE_MINUTE", "TO", "TRAILING", "TRANSACTION",
        "TRANSLATE", "TRANSLATION", "TRIM", "TRUE", "UNION", "UNIQUE", "UNKNOWN", "UPDATE",
        "UPPER", "USAGE", "USER", "USING", "VALUE", "VALUES", "VARCHAR", "VARYING", "VIEW",
        "WHEN", "WHENEVER", "WHERE", "WITH", "WORK", "WRITE", "YEAR", "ZONE",
    }
)

# Token kinds.
IDENT = "ident"  # regular identifier (not reserved)
QIDENT = "qident"  # delimited identifier, value is the unescaped text
KW = "kw"  # reserved word, value upper-cased
NUM = "num"  # unsigned numeric literal, value is its text
HEX = "hex"  # 0x... literal
STR = "str"  # string literal, value unescaped
OP = "op"
EOF = "eof"

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<hex>0[xX][0-9a-fA-F]+)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z][A-Za-z0-9_]*)
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<str>'(?:[^']|'')*')
  | (?P<op><>|!=|<=|>=|\|\||[-+*/(),.<>=&|^~])
    """,
    re.VERBOSE | re.ASCII,
)


@dataclass(slots=True)
class Token:
    """One lexical token; ``pos`` is the 0-based offset in the query text."""

    kind: str
    value: str
    pos: int


def line_col(text: str, pos: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of offset ``pos`` in ``text``."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def syntax_error(text: str, pos: int, message: str) -> ADQLSyntaxError:
    """Build an :class:`ADQLSyntaxError` located at offset ``pos`` of ``text``."""
    line, column = line_col(text, pos)
    return ADQLSyntaxError(message, line, column)


def tokenize(text: str) -> list[Token]:
    """Split ADQL ``text`` into tokens, ending with an EOF token.

    Adjacent string literals are merged (SQL-92 allows ``'abc' -- comment`` followed by
    ``'def'`` on the next line to mean ``'abcdef'``).

    Raises
    ------
    ADQLSyntaxError
        On characters that cannot start any ADQL token or unterminated literals.
    """
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    end = len(text)
    match = _TOKEN_RE.match
    last_str: Token | None = None
    nul = text.find("\0")
    if nul >= 0:
        # PostgreSQL cannot store NUL in text; refuse it here rather than at execution.
        raise syntax_error(text, nul, "NUL character in query text")
    while pos < end:
        m = match(text, pos)
        if m is None:
            char = text[pos]
            if char == "'":
                raise syntax_error(text, pos, "unterminated string literal")
            if char == '"':
                raise syntax_error(text, pos, "unterminated delimited identifier")
            if char == ";":
                raise syntax_error(text, pos, "';' is not allowed: submit exactly one query")
            raise syntax_error(text, pos, f"unexpected character {char!r}")
        kind = m.lastgroup
        value = m.group()
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "word":
            upper = value.upper()
            if upper in RESERVED:
                append(Token(KW, upper, pos))
            else:
                append(Token(IDENT, value, pos))
            last_str = None
        elif kind == "str":
            body = value[1:-1].replace("''", "'")
            if last_str is not None and tokens[-1] is last_str:
                last_str.value += body
            else:
                last_str = Token(STR, body, pos)
                append(last_str)
        elif kind == "qident":
            body = value[1:-1].replace('""', '"')
            if not body:
                raise syntax_error(text, pos, "empty delimited identifier")
            append(Token(QIDENT, body, pos))
        else:
            append(Token(kind, value, pos))
        pos = m.end()
    append(Token(EOF, "", end))
    return tokens
