"""Validate SOXS products against ESO Phase 3: the entry point behind ``soxsvo validate``.

Examples
--------
>>> report = validate_product("ADP.2026-01-12T10:00:00.000.fits")  # doctest: +SKIP
>>> report.ok, [str(v) for v in report.violations]                 # doctest: +SKIP
>>> main(["a.fits", "b.fits"], as_json=True)                        # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np
from astropy.io import fits

from soxsvo.phase3 import (
    CATEGORIES,
    ProductContext,
    ValidationReport,
    open_product,
    rules_for,
)
from soxsvo.phase3.snapshot import read_product

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main", "validate_context",
           "validate_product"]

# Why 2 for an invalid file as for a usage error: a file that breaks a rule is bad input, and
# every soxsvo command ends bad input with exit code 2 (``soxsvo ingest`` does for the same file).
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 2, 2


def _infer_category(ctx: ProductContext, requested: str | None) -> str | None:
    """Category whose rules to apply: the one asked for, else PRODCATG, else the layout.

    Falling back on the layout when PRODCATG is missing or wrong means the user still
    gets every other violation in one run instead of fixing PRODCATG first.
    """
    if requested:
        return requested
    if not ctx.readable:
        return None
    try:
        value = ctx.primary.get("PRODCATG")
    except (fits.VerifyError, ValueError):  # a card astropy cannot parse: P3-FILE-003 says so
        value = None
    if isinstance(value, str) and value.strip() in CATEGORIES:
        return value.strip()
    if ctx.spectrum_like():
        return "SCIENCE.SPECTRUM"
    if ctx.primary.get("NAXIS") == 2:
        return "SCIENCE.IMAGE"
    return None


def validate_product(source: str | os.PathLike | fits.HDUList, *,
                     category: str | None = None) -> ValidationReport:
    """Check one product against every Phase 3 rule of its category.

    Parameters
    ----------
    source : str, path-like or HDUList
        The product file (or an already opened HDU list, for tests and pipelines).
    category : str, optional
        Validate as this ``PRODCATG`` (a different ``PRODCATG`` in the file is then itself
        a violation); default: the file's ``PRODCATG``, or a guess from its layout.

    Returns
    -------
    ValidationReport
        Every violation found; never raises for a bad product.
    """
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")
    ctx = open_product(source) if isinstance(source, fits.HDUList) else read_product(source)
    try:
        return validate_context(ctx, category=category)
    finally:
        ctx.close()


def validate_context(ctx: ProductContext, *, category: str | None = None) -> ValidationReport:
    """Run every applicable rule on an already opened product (registration opens the file
    once and reads its headers from the same context afterwards)."""
    ctx.category = category
    applied = _infer_category(ctx, category)
    # Without an HDU only the file-level rules can say anything.
    rules = rules_for(applied if ctx.readable else None)
    report = ValidationReport(path=ctx.path or "<HDUList>", category=applied)
    # Why quiet: a corrupted column (inf, 1e38) is reported by the rules that read it; numpy's
    # overflow warnings would only repeat it on stderr, once per rule and file.
    with np.errstate(all="ignore"):
        for rule in rules:
            report.rules_checked.append(rule.id)
            report.violations.extend(rule.run(ctx))
    return report


def main(paths: Sequence[str], as_json: bool = False, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Validate files and print the reports; the body of ``soxsvo validate FILE... [--json]``.

    Parameters
    ----------
    paths : sequence of str
        Files to validate.
    as_json : bool
        Print one JSON document (a list of reports) instead of text.
    out, err : file-like, optional
        Where reports and usage errors go (default stdout/stderr).

    Returns
    -------
    int
        0 when every file is valid; 2 when some are not (each violation is printed) or on a
        usage error (no file given, a path that does not exist or is not a regular file).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if not paths:
        print("usage: soxsvo validate FILE... [--json]", file=err)
        return EXIT_USAGE
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        for p in missing:
            print(f"soxsvo validate: no such file: {p}", file=err)
        return EXIT_USAGE
    reports = [validate_product(p) for p in paths]
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], indent=2), file=out)
    else:
        for report in reports:
            print(report.to_text(), file=out)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    args = sys.argv[1:]
    sys.exit(main([a for a in args if a != "--json"], as_json="--json" in args))
