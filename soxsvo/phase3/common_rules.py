"""Rules shared by science products (``P3-KEY-*``): identity, target, time, provenance.

ESO-044286 repeats these keywords in the tables of every science category (images,
spectra); they live here once and apply to each category that lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from soxsvo.phase3.context import ProductContext
from soxsvo.phase3.keywords import has_type, indexed_keys, indexed_rule, keyword_rule
from soxsvo.phase3.rules import Rule, Severity, Violation, rule

SPEC, IMG, ANC = "SCIENCE.SPECTRUM", "SCIENCE.IMAGE", "ANCILLARY.2DSPECTRUM"
SCIENCE = (SPEC, IMG)
STD = "ESO-044286 (ESO Science Data Products standard)"

#: ESO programme ids: period.run-code.number (``114.27PW.001``) or the older ``60.A-9203(A)``.
PROG_ID_PATTERN = re.compile(r"^(\d{2,3}\.[0-9A-Z]{4}\.\d{3}|\d{2,3}\.[A-Z]-\d{4}\([A-Z]\)|"
                             r"MULTI)$")
#: Archive file names: ``SOXS.2026-01-11T20:00:00.000.fits`` (raw) or ``ADP.<ts>.fits``.
ARCHIVE_NAME = r"^[A-Z][A-Z0-9_]*\.\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?\.fits$"

keyword_rule("P3-KEY-001", "ORIGIN", (SPEC, IMG, ANC), "str",
             f"{STD}, keyword tables: ORIGIN = 'ESO' for products of ESO instruments.",
             values=("ESO",))
keyword_rule("P3-KEY-002", "TELESCOP", (SPEC, IMG, ANC), "str",
             f"{STD}: TELESCOP is the telescope of the raw data, 'ESO-NTT' for SOXS.",
             values=("ESO-NTT",))
keyword_rule("P3-KEY-003", "INSTRUME", (SPEC, IMG, ANC), "str",
             f"{STD}: INSTRUME is the instrument of the raw data, 'SOXS'.", values=("SOXS",))
keyword_rule("P3-KEY-004", "OBJECT", SCIENCE, "str",
             f"{STD}: OBJECT, the target designation, is mandatory in the primary header.",
             predicate=lambda v: bool(v), expected="a non-blank target designation")
keyword_rule("P3-KEY-005", "RA", SCIENCE, "float",
             f"{STD}: RA [deg], ICRS/J2000 position of the target (spectra) or the image "
             "centre (images), 0 <= RA < 360.",
             predicate=lambda v: 0.0 <= v < 360.0, expected="0 <= RA < 360 deg")
keyword_rule("P3-KEY-006", "DEC", SCIENCE, "float",
             f"{STD}: DEC [deg], -90 <= DEC <= 90.",
             predicate=lambda v: -90.0 <= v <= 90.0, expected="-90 <= DEC <= 90 deg")
keyword_rule("P3-KEY-007", "RADESYS", SCIENCE, "str",
             f"{STD}: RADESYS, the celestial reference frame, 'ICRS' or 'FK5'.",
             values=("ICRS", "FK5"))
keyword_rule("P3-KEY-009", "EXPTIME", SCIENCE, "float",
             f"{STD}: EXPTIME [s]; for spectra the total integration time per pixel, for "
             "images the effective exposure time. Must be positive.",
             predicate=lambda v: v > 0, expected="> 0 s")
keyword_rule("P3-KEY-010", "TEXPTIME", SCIENCE, "float",
             f"{STD}: TEXPTIME [s], total integration time of all exposures, positive.",
             predicate=lambda v: v > 0, expected="> 0 s")
keyword_rule("P3-KEY-011", "MJD-OBS", SCIENCE, "float",
             f"{STD}: MJD-OBS, start of the first exposure (MJD, UTC). SOXS started "
             "operations in 2025, so anything before MJD 60000 is a unit or epoch error.",
             predicate=lambda v: 60000.0 <= v <= 80000.0, expected="MJD between 60000 and 80000")
keyword_rule("P3-KEY-012", "MJD-END", SCIENCE, "float",
             f"{STD}: MJD-END, end of the last exposure (MJD, UTC).",
             predicate=lambda v: 60000.0 <= v <= 80000.0, expected="MJD between 60000 and 80000")
keyword_rule("P3-KEY-013", "PROG_ID", SCIENCE, "str",
             f"{STD}: PROG_ID, the ESO programme of the raw data (or 'MULTI' when several "
             "programmes contributed), e.g. '114.27PW.001'.",
             predicate=lambda v: bool(PROG_ID_PATTERN.match(v)),
             expected="an ESO programme id like '114.27PW.001' or 'MULTI'")
indexed_rule("P3-KEY-014", "OBID", SCIENCE, "int",
             f"{STD}: OBID1..n, the observation blocks of the raw data, integers, indices not "
             "zero-padded.")
keyword_rule("P3-KEY-015", "NCOMBINE", SCIENCE, "int",
             f"{STD}: NCOMBINE, number of raw science files combined, at least 1.",
             predicate=lambda v: v >= 1, expected=">= 1")
keyword_rule("P3-KEY-016", "OBSTECH", SCIENCE, "str",
             f"{STD}: OBSTECH, the observation technique (e.g. 'ECHELLE,SLIT,NODDING', "
             "'IMAGE').", predicate=lambda v: bool(v), expected="a non-blank technique")
keyword_rule("P3-KEY-017", "FLUXCAL", SCIENCE, "str",
             f"{STD}: FLUXCAL, 'ABSOLUTE' or 'UNCALIBRATED'.",
             values=("ABSOLUTE", "UNCALIBRATED"))
keyword_rule("P3-KEY-018", "PROCSOFT", SCIENCE, "str",
             f"{STD}: PROCSOFT, reduction software and version, e.g. 'soxspipe/v0.17.4'.",
             predicate=lambda v: bool(v), expected="'<software>/<version>'")
keyword_rule("P3-KEY-019", "REFERENC", SCIENCE, "str",
             f"{STD}: REFERENC, bibliographic reference of the product; mandatory, may be "
             "blank until a paper exists.")
indexed_rule("P3-KEY-020", "PROV", SCIENCE, "str",
             f"{STD} and the Phase 3 FAQ: PROV1..n name the files the product was made from "
             "by their archive names ('SOXS.2026-01-11T20:00:00.000.fits'), not "
             "zero-padded, without extension numbers.",
             value_pattern=ARCHIVE_NAME,
             expected="an archive file name such as 'SOXS.2026-01-11T20:00:00.000.fits'")
keyword_rule("P3-KEY-021", "M_EPOCH", SCIENCE, "bool",
             f"{STD}: M_EPOCH is T when the product combines several epochs (nights).")
keyword_rule("P3-KEY-022", "PRODLVL", SCIENCE, "int",
             f"{STD}: PRODLVL, 1 raw, 2 science grade, 3 advanced; it feeds ObsCore "
             "calib_level. Optional, but must be 1, 2 or 3 when given.",
             values=(1, 2, 3), mandatory=False)


@rule("P3-KEY-008", "EQUINOX = 2000.0 when RADESYS = 'FK5'", SCIENCE, keyword="EQUINOX")
def equinox(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286: with ``RADESYS = 'FK5'`` the equinox must be given as
    ``EQUINOX = 2000.0`` (mandatory where applicable); ICRS needs none."""
    if ctx.value("primary", "RADESYS") != "FK5":
        return
    value = ctx.value("primary", "EQUINOX")
    if value is None:
        yield r.violation("mandatory with RADESYS = 'FK5'", expected=2000.0)
    elif not has_type(value, "float") or float(value) != 2000.0:
        yield r.violation("wrong equinox", found=value, expected=2000.0)


@rule("P3-KEY-023", "ASSONi/ASSOCi/ASSOMi describe each associated file", SCIENCE,
      keyword="ASSONi")
def associations(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §2.4: each associated file has a name ``ASSONi`` and a category
    ``ASSOCi`` (e.g. ``ANCILLARY.2DSPECTRUM``), and optionally its MD5 ``ASSOMi`` (32 hex
    digits); indices start at 1, without gaps, and a category or MD5 needs its name."""
    names = indexed_keys(ctx.primary, "ASSON")
    cats = indexed_keys(ctx.primary, "ASSOC")
    md5s = indexed_keys(ctx.primary, "ASSOM")
    n_idx, c_idx, m_idx = set(names.values()), set(cats.values()), set(md5s.values())
    if n_idx and sorted(n_idx) != list(range(1, len(n_idx) + 1)):
        yield r.violation("indices must run 1..n without gaps", found=sorted(n_idx),
                          expected=list(range(1, len(n_idx) + 1)))
    for i in sorted(n_idx - c_idx):
        yield r.violation("associated file without category", keyword=f"ASSOC{i}",
                          expected="e.g. 'ANCILLARY.2DSPECTRUM'")
    for i in sorted((c_idx | m_idx) - n_idx):
        yield r.violation("category or MD5 without a file name", keyword=f"ASSON{i}",
                          expected="present")
    for key in cats:
        value = ctx.primary[key]
        if not isinstance(value, str) or not re.match(r"^(ANCILLARY|SCIENCE)\.[A-Z0-9.]+$",
                                                      value.strip()):
            yield r.violation("malformed category", keyword=key, found=value,
                              expected="ANCILLARY.<TYPE> or SCIENCE.<TYPE>")
    for key in md5s:
        value = ctx.primary[key]
        if not isinstance(value, str) or not re.match(r"^[0-9a-f]{32}$", value.strip()):
            yield r.violation("malformed MD5", keyword=key, found=value,
                              expected="32 lower-case hexadecimal digits")


@rule("P3-KEY-024", "SINGLEXP agrees with NCOMBINE", SCIENCE, keyword="SINGLEXP")
def single_exposure(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286: ``SINGLEXP`` is T if the product comes from one exposure; when given
    (it is optional here) it must be boolean and agree with ``NCOMBINE``."""
    if "SINGLEXP" not in ctx.primary:
        return
    value = ctx.primary["SINGLEXP"]
    if not isinstance(value, bool):
        yield r.violation("wrong type", found=value, expected="bool value")
        return
    ncombine = ctx.value("primary", "NCOMBINE")
    if has_type(ncombine, "int") and value != (ncombine == 1):
        yield r.violation("disagrees with NCOMBINE", found=value,
                          expected=f"{ncombine == 1} for NCOMBINE = {ncombine}")


@rule("P3-KEY-025", "MJD-END is after MJD-OBS", SCIENCE, keyword="MJD-END")
def time_order(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286: MJD-OBS is the start of the first exposure and MJD-END the end of the
    last, so MJD-END must be later than MJD-OBS."""
    start, end = ctx.value("primary", "MJD-OBS"), ctx.value("primary", "MJD-END")
    if has_type(start, "float") and has_type(end, "float") and not end > start:
        yield r.violation("not after MJD-OBS", found=end, expected=f"> {start}")


@rule("P3-KEY-026", "EXPTIME, TEXPTIME, NCOMBINE and the elapsed time agree", SCIENCE,
      keyword="TEXPTIME")
def exposure_budget(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 defines TEXPTIME as the sum of all exposures and EXPTIME as the time per
    pixel (spectra) or effective time (images): EXPTIME cannot exceed TEXPTIME, they are
    equal for a single exposure (NCOMBINE = 1), and EXPTIME cannot exceed the time elapsed
    between MJD-OBS and MJD-END (1 s tolerance for rounding)."""
    exptime, texptime = ctx.value("primary", "EXPTIME"), ctx.value("primary", "TEXPTIME")
    ncombine = ctx.value("primary", "NCOMBINE")
    if not (has_type(exptime, "float") and has_type(texptime, "float")):
        return
    if exptime > texptime * (1 + 1e-6) + 1e-6:
        yield r.violation("EXPTIME exceeds TEXPTIME", keyword="EXPTIME", found=exptime,
                          expected=f"<= TEXPTIME = {texptime}")
    if has_type(ncombine, "int") and ncombine == 1 and abs(exptime - texptime) > 1e-3:
        yield r.violation("single exposure but TEXPTIME != EXPTIME", found=texptime,
                          expected=f"{exptime} (NCOMBINE = 1)")
    start, end = ctx.value("primary", "MJD-OBS"), ctx.value("primary", "MJD-END")
    if has_type(start, "float") and has_type(end, "float") and end > start:
        elapsed = (end - start) * 86400.0
        if exptime > elapsed + 1.0:
            yield r.violation("EXPTIME longer than MJD-END - MJD-OBS", keyword="EXPTIME",
                              found=exptime, expected=f"<= {elapsed:.1f} s")


@rule("P3-KEY-027", "one PROVi per combined raw file", SCIENCE, keyword="PROVi",
      severity=Severity.WARNING)
def provenance_count(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286: NCOMBINE counts the raw science files combined and PROVi lists the
    files used; when every PROVi is a raw SOXS frame their number should equal NCOMBINE.
    A warning, since PROVi may also point at intermediate products."""
    provs = [ctx.primary[k] for k in indexed_keys(ctx.primary, "PROV")]
    ncombine = ctx.value("primary", "NCOMBINE")
    if not provs or not has_type(ncombine, "int"):
        return
    if all(isinstance(p, str) and p.startswith("SOXS.") for p in provs) and \
            len(provs) != ncombine:
        yield r.violation("number of raw PROVi differs from NCOMBINE", found=len(provs),
                          expected=ncombine)
