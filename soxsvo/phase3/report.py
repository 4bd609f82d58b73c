"""The validator's answer: every violation of one product, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from soxsvo.phase3.rules import Severity, Violation

__all__ = ["ValidationReport"]


@dataclass
class ValidationReport:
    """Result of validating one product.

    Attributes
    ----------
    path : str
        What was validated.
    category : str or None
        Category whose rules were applied.
    violations : list of Violation
        Every violation found (errors and warnings), in rule order.
    rules_checked : list of str
        Ids of the rules that ran.
    """

    path: str
    category: str | None
    violations: list[Violation] = field(default_factory=list)
    rules_checked: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        """Violations that make the product non-compliant."""
        return [v for v in self.violations if v.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Violation]:
        """Advice that does not block archiving."""
        return [v for v in self.violations if v.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when no rule reported an error."""
        return not self.errors

    def failed_rules(self) -> set[str]:
        """Ids of the rules with at least one violation."""
        return {v.rule_id for v in self.violations}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "path": self.path,
            "category": self.category,
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "rules_checked": len(self.rules_checked),
            "violations": [v.to_dict() for v in self.violations],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON document."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        """Human-readable report: a status line, then one line per violation."""
        status = "OK" if self.ok else "INVALID"
        head = (f"{self.path}: {status} as {self.category or 'unknown category'} "
                f"({len(self.errors)} errors, {len(self.warnings)} warnings, "
                f"{len(self.rules_checked)} rules)")
        return "\n".join([head] + [f"  {v}" for v in self.violations])

    def __str__(self) -> str:
        return self.to_text()
