"""ADQL 2.1 for SOXS: parse, validate and translate queries to PostgreSQL with q3c.

Owns the ADQL language (grammar, names, UDF registry, geometry) and result metadata;
never executes SQL, except :func:`install_functions` and the optional EXPLAIN helper.
"""

from .errors import (
    ADQLError,
    ADQLNameError,
    ADQLSyntaxError,
    ADQLUnsupportedError,
    ADQLValidationError,
)
from .parser import parse
from .printer import to_adql
from .sqlfuncs import install_functions
from .translator import Translation, translate

__all__ = [
    "ADQLError",
    "ADQLNameError",
    "ADQLSyntaxError",
    "ADQLUnsupportedError",
    "ADQLValidationError",
    "Translation",
    "install_functions",
    "parse",
    "translate",
    "to_adql",
]
