"""The rule registry of the Phase 3 validator: what a rule is, what it reports, where it lives.

Like ``astropy.io.votable.exceptions`` (one numbered, documented class per violation of the
VOTable standard), every check here is one :class:`Rule` with a stable id
(``P3-SPEC-007``), the keyword it is about, and a description citing the requirement of the
ESO Science Data Products standard (ESO-044286) it enforces. A rule never raises for a bad
product: it yields :class:`Violation` objects, and the validator runs every applicable rule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soxsvo.phase3.context import ProductContext

__all__ = [
    "CATEGORIES",
    "REGISTRY",
    "Rule",
    "Severity",
    "Violation",
    "register",
    "rules_for",
]

#: Product categories the validator knows (``PRODCATG`` values).
CATEGORIES = ("SCIENCE.SPECTRUM", "SCIENCE.IMAGE", "ANCILLARY.2DSPECTRUM")
#: Pseudo-category of the rules that apply to every file.
ANY = "*"


class Severity(enum.StrEnum):
    """An ``ERROR`` makes the product non-compliant; a ``WARNING`` is advice."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """One breach of one rule: which rule, where, what was found, what was expected."""

    rule_id: str
    message: str
    keyword: str | None = None
    hdu: str | None = None
    found: Any = None
    expected: Any = None
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (values that JSON cannot hold become their ``repr``)."""
        return {
            "rule": self.rule_id,
            "severity": self.severity.value,
            "hdu": self.hdu,
            "keyword": self.keyword,
            "message": self.message,
            "found": _jsonable(self.found),
            "expected": _jsonable(self.expected),
        }

    def __str__(self) -> str:
        where = f"[{self.hdu}] " if self.hdu else ""
        what = f"{self.keyword}: " if self.keyword else ""
        text = f"{self.rule_id} {self.severity.value.upper()} {where}{what}{self.message}"
        if self.found is not None or self.expected is not None:
            text += f" (found {self.found!r}; expected {self.expected})"
        return text


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return repr(value)


@dataclass
class Rule:
    """A named check of one requirement.

    Parameters
    ----------
    id : str
        Stable identifier, ``P3-<AREA>-<NNN>``; never reused for another meaning.
    title : str
        One line saying what is required.
    categories : tuple of str
        ``PRODCATG`` values it applies to (``'*'`` for every file).
    description : str
        The requirement and where the standard states it.
    keyword : str, optional
        The FITS keyword (or column) concerned.
    hdu : str
        ``'primary'``, ``'extension'`` or ``'file'``.
    severity : Severity
        Default severity of its violations.
    check : callable
        ``check(rule, ctx) -> iterable of Violation``.
    """

    id: str
    title: str
    categories: tuple[str, ...]
    description: str
    check: Callable[[Rule, ProductContext], Iterable[Violation]] = field(repr=False)
    keyword: str | None = None
    hdu: str = "primary"
    severity: Severity = Severity.ERROR
    #: Free-form facts tests and docs may use (e.g. the expected type of a keyword rule).
    info: dict[str, Any] = field(default_factory=dict, repr=False)

    def violation(self, message: str, *, found: Any = None, expected: Any = None,
                  keyword: str | None = None, hdu: str | None = None,
                  severity: Severity | None = None) -> Violation:
        """A :class:`Violation` of this rule, defaulting keyword/HDU/severity to the rule's."""
        return Violation(rule_id=self.id, message=message, keyword=keyword or self.keyword,
                         hdu=hdu or self.hdu, found=found, expected=expected,
                         severity=severity or self.severity)

    def run(self, ctx: ProductContext) -> Iterator[Violation]:
        """Run the check; an unexpected exception becomes a violation, never a traceback."""
        try:
            yield from self.check(self, ctx)
        except Exception as exc:  # noqa: BLE001 - a broken product must not crash validation
            yield self.violation(f"could not be checked: {type(exc).__name__}: {exc}")


#: Every rule, by id, in registration order.
REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to :data:`REGISTRY`; ids are unique."""
    if rule.id in REGISTRY:
        raise ValueError(f"duplicate Phase 3 rule id {rule.id}")
    REGISTRY[rule.id] = rule
    return rule


def rule(id: str, title: str, categories: tuple[str, ...], *, keyword: str | None = None,
         hdu: str = "primary", severity: Severity = Severity.ERROR,
         **info: Any) -> Callable[[Callable], Rule]:
    """Decorator registering a check function as a rule; its docstring is the description."""

    def decorate(func: Callable[[Rule, ProductContext], Iterable[Violation]]) -> Rule:
        return register(Rule(id=id, title=title, categories=categories,
                             description=" ".join((func.__doc__ or "").split()), check=func,
                             keyword=keyword, hdu=hdu, severity=severity, info=info))

    return decorate


def rules_for(category: str | None) -> list[Rule]:
    """Rules that apply to a product of ``category`` (file-level rules always apply)."""
    return [r for r in REGISTRY.values() if ANY in r.categories or category in r.categories]
