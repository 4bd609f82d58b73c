"""The ESO Phase 3 format of SOXS products (ESO-044286): read, write, check.

Owns the spectrum reader/writer (``spectrum``), one named, documented rule per requirement
(the rule registry, the product context the rules read, the report), validation of files
(``validate``) and the fast header reader beside astropy (``snapshot``). Never repairs
products and never touches the database.
"""

from soxsvo.phase3 import (  # noqa: F401 - importing registers the rules
    common_rules,
    file_rules,
    image_rules,
    spectrum_keywords,
    spectrum_rules,
)
from soxsvo.phase3.context import ProductContext, open_product
from soxsvo.phase3.report import ValidationReport
from soxsvo.phase3.rules import (
    CATEGORIES,
    REGISTRY,
    Rule,
    Severity,
    Violation,
    rules_for,
)

__all__ = [
    "CATEGORIES",
    "REGISTRY",
    "ProductContext",
    "Rule",
    "Severity",
    "ValidationReport",
    "Violation",
    "open_product",
    "rules_for",
]
