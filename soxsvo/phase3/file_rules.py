"""File-level rules (``P3-FILE-*``): readable FITS, complete, standard-conforming, checksummed.

These apply to every product whatever its category, and are the only rules that can say
anything about a file that is not FITS at all.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

from soxsvo.phase3.context import ProductContext
from soxsvo.phase3.rules import ANY, CATEGORIES, Rule, Violation, rule

_ALL = (ANY,)


@rule("P3-FILE-001", "the file is a readable FITS file", _ALL, hdu="file")
def readable_fits(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """Phase 3 products are FITS files (ESO-044286 §2: "all data products shall be in FITS
    format"); a file astropy cannot open, or one without any HDU, fails here and no other
    rule can be applied to it."""
    if not ctx.readable:
        yield r.violation("not a readable FITS file", found=ctx.open_error,
                          expected="a FITS file")


@rule("P3-FILE-002", "the file is complete (not truncated)", _ALL, hdu="file")
def not_truncated(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """The FITS standard (4.0 §3.1) requires every HDU to fill whole 2880-byte records;
    a file shorter than its headers declare was cut during transfer and cannot be archived
    (the archive verifies sizes and checksums on ingestion)."""
    if not ctx.readable or ctx.path is None:
        return
    expected = ctx.declared_end()
    if expected is None:
        return
    actual = os.path.getsize(ctx.path)
    if actual < expected:
        yield r.violation("file is shorter than its headers declare (truncated)",
                          found=f"{actual} bytes", expected=f"{expected} bytes")
    elif actual % 2880:
        yield r.violation("file size is not a multiple of 2880 bytes", found=actual,
                          expected="a multiple of 2880")


@rule("P3-FILE-003", "headers conform to the FITS standard", _ALL, hdu="file")
def fits_conformance(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §2 requires products to pass ``fitsverify``; astropy's verification of
    each HDU (mandatory structural keywords, card syntax) stands in for it here."""
    if not ctx.readable:
        return
    for message in ctx.verify_messages():
        text = message.strip()
        if text and not text.startswith("Verification reported errors"):
            yield r.violation(" ".join(text.split()), found=None, expected=None)
    for message in ctx.open_warnings:
        if "truncated" not in message.lower():  # P3-FILE-002 reports truncation
            yield r.violation(" ".join(message.split()))


@rule("P3-FILE-004", "PRODCATG names a supported product category", _ALL, keyword="PRODCATG")
def product_category(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """Every Phase 3 file declares its category in ``PRODCATG`` (ESO-044286 §3, table of
    product categories); SOXS delivers ``SCIENCE.SPECTRUM`` (1D spectra),
    ``SCIENCE.IMAGE`` (acquisition-camera images) and ``ANCILLARY.2DSPECTRUM``. When the
    validator is asked for a category, ``PRODCATG`` must be that one."""
    if not ctx.readable:
        return
    if "PRODCATG" not in ctx.primary:
        yield r.violation("mandatory keyword is missing", expected=" or ".join(CATEGORIES))
        return
    value = ctx.primary["PRODCATG"]
    value = value.strip() if isinstance(value, str) else value
    if value not in CATEGORIES:
        yield r.violation("unknown product category", found=value,
                          expected=" or ".join(CATEGORIES))
    elif ctx.category and value != ctx.category:
        yield r.violation("category differs from the one requested", found=value,
                          expected=ctx.category)


@rule("P3-FILE-005", "CHECKSUM and DATASUM present and valid in every HDU", _ALL,
      keyword="CHECKSUM", hdu="file")
def checksums(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §2 makes ``CHECKSUM`` and ``DATASUM`` (FITS checksum convention,
    FITS 4.0 appendix J) mandatory in every HDU, so corruption is detectable after
    transfer; both must also match the content."""
    if not ctx.readable:
        return
    raw = _file_bytes(ctx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns reading bad cards: other rules' business
        yield from _checksum_violations(r, ctx, raw)


def _checksum_violations(r: Rule, ctx: ProductContext, raw: bytes | None
                         ) -> Iterator[Violation]:
    for index, (header, sums) in enumerate(ctx.checksum_units()):
        where = "primary" if index == 0 else f"HDU {index}"
        for key in ("CHECKSUM", "DATASUM"):
            if key not in header:
                yield r.violation("mandatory keyword is missing", keyword=key, hdu=where,
                                  expected="present")
        try:
            data_ok, hdu_ok = sums(raw)
            if "DATASUM" in header and not data_ok:
                yield r.violation("DATASUM does not match the data", keyword="DATASUM",
                                  hdu=where, found=header["DATASUM"],
                                  expected="the data's checksum")
            if "CHECKSUM" in header and not hdu_ok:
                yield r.violation("CHECKSUM does not match the HDU", keyword="CHECKSUM",
                                  hdu=where, found=header["CHECKSUM"],
                                  expected="the HDU's checksum")
        except Exception as exc:  # noqa: BLE001 - unreadable data
            yield r.violation(f"checksum could not be computed: {exc}", hdu=where)


def _file_bytes(ctx: ProductContext) -> bytes | None:
    """The file's bytes, for checksums over what is stored (None for in-memory products)."""
    if ctx.raw is not None:
        return ctx.raw
    if ctx.path is None:
        return None
    try:
        with open(ctx.path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
