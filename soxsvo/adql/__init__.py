"""ADQL 2.1 for SOXS: parse, validate and translate queries to PostgreSQL with q3c.

Owns the ADQL language (grammar, names, UDF registry, geometry) and result metadata;
never executes SQL (its SQL functions are ``soxsvo/db/sql/repeatable/adql_functions.sql``).
"""

from soxsvo.adql.errors import (
    ADQLError,
    ADQLNameError,
    ADQLSyntaxError,
    ADQLUnsupportedError,
    ADQLValidationError,
)
from soxsvo.adql.parse.parser import parse
from soxsvo.adql.printer import to_adql
from soxsvo.adql.translate.translator import Translation, translate

__all__ = [
    "ADQLError",
    "ADQLNameError",
    "ADQLSyntaxError",
    "ADQLUnsupportedError",
    "ADQLValidationError",
    "Translation",
    "parse",
    "translate",
    "to_adql",
]
