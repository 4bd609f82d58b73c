"""ADQL 2.1 text → syntax tree (:mod:`soxsvo.adql.nodes`): lexer, statement and expression
parsers. Knows the grammar only; names are resolved by :mod:`soxsvo.adql.translate`."""
