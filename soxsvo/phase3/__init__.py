"""Phase 3 rules: one named, documented check per requirement of ESO-044286 for SOXS products.

Owns the rule registry, the product context the rules read and the validation report.
Never writes or repairs products, and never touches the database.
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
