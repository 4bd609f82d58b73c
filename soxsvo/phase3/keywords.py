"""Keyword rules: one rule per mandatory keyword, checking presence, FITS type and value.

The tables of ESO-044286 list, per product category, each keyword with its HDU, type and
allowed values; :func:`keyword_rule` turns one such row into a registered rule, and
:func:`indexed_rule` does the same for the numbered families (``OBIDi``, ``PROVi``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from soxsvo.phase3.rules import Rule, Severity, Violation, register

__all__ = ["TYPES", "indexed_keys", "indexed_rule", "keyword_rule", "type_name"]

#: FITS value types of the standard's tables and the Python types astropy returns for them.
TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "float": (float, int),  # a real keyword written without a decimal point reads as int
    "int": (int,),
    "bool": (bool,),
}


def type_name(value: Any) -> str:
    """FITS-ish name of the type of a header value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def has_type(value: Any, kind: str) -> bool:
    """Whether header ``value`` is of FITS type ``kind`` (bools are never numbers)."""
    if kind != "bool" and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[kind])


def keyword_rule(id: str, keyword: str, categories: tuple[str, ...], kind: str,
                 description: str, *, hdu: str = "primary",
                 values: tuple[Any, ...] | None = None,
                 predicate: Callable[[Any], bool] | None = None, expected: str | None = None,
                 mandatory: bool = True, severity: Severity = Severity.ERROR) -> Rule:
    """Register the rule "``keyword`` is present in ``hdu``, of type ``kind``, valid".

    Parameters
    ----------
    values : tuple, optional
        Allowed values (strings compared case-sensitively after stripping blanks, as the
        archive does).
    predicate, expected : optional
        A further test of the value and the text saying what it expects.
    mandatory : bool
        If false the keyword may be absent, but must be right when present.
    """
    want = expected or (" or ".join(repr(v) for v in values) if values else f"a {kind}")

    def check(rule: Rule, ctx: Any) -> Iterator[Violation]:
        header = ctx.header(hdu)
        if keyword not in header:
            if mandatory:
                yield rule.violation("mandatory keyword is missing", expected=want)
            return
        value = header[keyword]
        if not has_type(value, kind):
            yield rule.violation(f"wrong type {type_name(value)}", found=value,
                                 expected=f"{kind} value")
            return
        if isinstance(value, str):
            value = value.strip()
        if values is not None and value not in values:
            yield rule.violation("value not allowed", found=value, expected=want)
        elif predicate is not None and not predicate(value):
            yield rule.violation("value out of range", found=value, expected=want)

    title = f"{keyword} {'present, ' if mandatory else 'if present, '}{kind}" + (
        f" = {want}" if values or predicate else "")
    return register(Rule(id=id, title=title, categories=categories, description=description,
                         check=check, keyword=keyword, hdu=hdu, severity=severity,
                         info={"kind": kind, "values": values, "mandatory": mandatory,
                               "keyword_rule": True}))


def indexed_keys(header: Any, prefix: str) -> dict[str, int]:
    """Keywords ``<prefix><digits>`` of ``header`` -> their index (zero-padded ones too)."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    return {k: int(m.group(1)) for k in header if (m := pattern.match(k))}


def indexed_rule(id: str, prefix: str, categories: tuple[str, ...], kind: str,
                 description: str, *, value_pattern: str | None = None,
                 expected: str | None = None, mandatory: bool = True) -> Rule:
    """Register the rule for a numbered family ``<prefix>1..n`` in the primary header.

    Checks: at least ``<prefix>1`` when mandatory; indices 1..n without gaps and without
    zero padding (Phase 3 FAQ: ``PROV1``, not ``PROV0001``); each value of type ``kind`` and,
    for strings, matching ``value_pattern``.
    """
    regex = re.compile(value_pattern) if value_pattern else None

    def check(rule: Rule, ctx: Any) -> Iterator[Violation]:
        keys = indexed_keys(ctx.primary, prefix)
        if not keys:
            if mandatory:
                yield rule.violation("mandatory keyword is missing", keyword=f"{prefix}1",
                                     expected=f"{prefix}1..{prefix}n")
            return
        for key, index in keys.items():
            if key != f"{prefix}{index}" or index == 0:
                yield rule.violation("index must start at 1 and not be zero-padded",
                                     keyword=key, found=key, expected=f"{prefix}{max(index, 1)}")
        indices = sorted(keys.values())
        if indices != list(range(1, len(indices) + 1)):
            yield rule.violation("indices must run 1..n without gaps", keyword=f"{prefix}i",
                                 found=indices, expected=list(range(1, len(indices) + 1)))
        for key in keys:
            value = ctx.primary[key]
            if not has_type(value, kind):
                yield rule.violation(f"wrong type {type_name(value)}", keyword=key,
                                     found=value, expected=f"{kind} value")
            elif regex is not None and not regex.match(str(value).strip()):
                yield rule.violation("malformed value", keyword=key, found=value,
                                     expected=expected or value_pattern)

    return register(Rule(id=id, title=f"{prefix}1..n {kind}, numbered from 1",
                         categories=categories, description=description, check=check,
                         keyword=f"{prefix}i", hdu="primary",
                         info={"kind": kind, "prefix": prefix, "mandatory": mandatory,
                               "indexed_rule": True}))
