"""Layout and consistency rules of 1D spectra (``P3-SPEC-040`` onwards).

ESO-044286 §5.1 fixes the file layout (primary HDU without data, one binary table with a
single row of arrays, column units/utypes/UCDs) and §5.2 how keywords describe the data;
these rules check the layout and that keywords and arrays tell the same story.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator

import numpy as np
from astropy import units as u

from soxsvo.phase3.context import ProductContext
from soxsvo.phase3.keywords import has_type
from soxsvo.phase3.rules import Rule, Violation, rule

SPEC = ("SCIENCE.SPECTRUM",)
REQUIRED_COLUMNS = ("WAVE", "FLUX", "ERR", "QUAL")
UTYPES = {
    "WAVE": ("spec:Data.SpectralAxis.Value",),
    "FLUX": ("spec:Data.FluxAxis.Value",),
    "ERR": ("spec:Data.FluxAxis.Accuracy.StatError",),
    "QUAL": ("spec:Data.FluxAxis.Accuracy.QualityStatus",),
    "SNR": ("eso:Data.FluxAxis.Accuracy.SNR",),
}
UCDS = {
    "WAVE": ("em.wl", "em.wl;obs.atmos"),
    "FLUX": ("phot.flux.density;em.wl", "phot.flux.density;em.wl;stat.uncalib"),
    "ERR": ("stat.error;phot.flux.density;em.wl",
            "stat.error;phot.flux.density;em.wl;stat.uncalib"),
    "QUAL": ("meta.code.qual;meta.main",),
    "SNR": ("stat.snr",),
}
#: Wavelength coverage of each SOXS arm [nm], with a margin for order edges.
ARM_RANGES = {"UVVIS": (340.0, 870.0), "VIS": (340.0, 870.0), "NIR": (780.0, 2080.0),
              "MERGED": (340.0, 2080.0)}
UNCALIBRATED_UNITS = ("adu", "count", "ct", "electron", "")


def _wave_nm(ctx: ProductContext) -> np.ndarray | None:
    wave = ctx.column("WAVE")
    if wave is None or wave.size == 0:
        return None
    unit = str(ctx.extension.get(f"TUNIT{ctx.column_names.get('WAVE', 0)}", "nm")).strip()
    return wave / 10.0 if unit.lower() in ("angstrom", "a") else wave.astype(np.float64)


def _good(ctx: ProductContext) -> np.ndarray | None:
    flux, err, qual = ctx.column("FLUX"), ctx.column("ERR"), ctx.column("QUAL")
    if flux is None or err is None or flux.size != err.size:
        return None
    good = np.isfinite(flux) & np.isfinite(err) & (err > 0)
    if qual is not None and qual.size == flux.size:
        good &= qual == 0
    return good


def _close(a: float, b: float, tol: float) -> bool:
    return abs(float(a) - float(b)) <= tol


# --- layout ---------------------------------------------------------------------------


@rule("P3-SPEC-040", "the primary HDU holds no data", SPEC, keyword="NAXIS")
def primary_without_data(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: the primary HDU of a 1D spectrum carries only keywords
    (``NAXIS = 0``); the data are in the binary-table extension."""
    naxis = ctx.primary.get("NAXIS", 0)
    if naxis != 0:
        yield r.violation("primary HDU has data", found=naxis, expected=0)


@rule("P3-SPEC-041", "exactly one extension, a binary table", SPEC, keyword="XTENSION",
      hdu="extension")
def one_bintable(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: one science spectrum per file, stored in a single ``BINTABLE``
    extension; sky, 2D spectrum and previews travel as associated files, not extensions."""
    extensions = ctx.hdu_headers()[1:]
    if not ctx.has_table:
        yield r.violation("no binary-table extension", found=len(extensions),
                          expected="one BINTABLE")
    elif len(extensions) != 1:
        kinds = [h.get("XTENSION", "?") for h in extensions]
        yield r.violation("more than one extension", found=kinds, expected="['BINTABLE']")


@rule("P3-SPEC-042", "the spectrum table has exactly one row", SPEC, keyword="NAXIS2",
      hdu="extension")
def one_row(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: the spectrum is one row whose cells are arrays of ``NELEM``
    elements (soxspipe's own N-row tables are not Phase 3)."""
    if ctx.has_table and ctx.extension.get("NAXIS2") != 1:
        yield r.violation("table must have one row", found=ctx.extension.get("NAXIS2"),
                          expected=1)


@rule("P3-SPEC-043", "columns WAVE, FLUX, ERR, QUAL present, WAVE first", SPEC,
      keyword="TTYPEn", hdu="extension")
def required_columns(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: a spectrum has the spectral axis, the flux, its error and a
    quality array; ``TDMIN1``/``TDMAX1`` describe the spectral axis, so it is column 1."""
    if not ctx.has_table:
        return
    names = ctx.column_names
    for name in REQUIRED_COLUMNS:
        if name not in names:
            yield r.violation("required column is missing", keyword=name,
                              found=sorted(names), expected=name)
    if "WAVE" in names and names["WAVE"] != 1:
        yield r.violation("WAVE must be column 1", keyword="TTYPE1",
                          found=ctx.extension.get("TTYPE1"), expected="WAVE")


@rule("P3-SPEC-044", "every array column has NELEM elements", SPEC, keyword="TFORMn",
      hdu="extension")
def equal_lengths(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: all arrays of the spectrum have the same length, given in
    ``NELEM`` and in the repeat count of ``TFORMn`` (e.g. ``'25001E'``)."""
    if not ctx.has_table:
        return
    nelem = ctx.extension.get("NELEM")
    repeats = {}
    for i, (name, form) in enumerate(ctx.column_formats(), 1):
        match = re.match(r"^\s*(\d*)([A-Z])", form)
        repeats[name.upper()] = (i, int(match.group(1) or 1) if match else None)
    lengths = {name: rep for name, (_i, rep) in repeats.items()}
    if len(set(lengths.values())) > 1:
        yield r.violation("columns have different lengths", found=lengths,
                          expected="one length for all")
    if has_type(nelem, "int"):
        for name, (i, rep) in repeats.items():
            if rep != nelem:
                yield r.violation("length differs from NELEM", keyword=f"TFORM{i}",
                                  found=f"{name}: {rep}", expected=nelem)


@rule("P3-SPEC-045", "columns have numeric types: WAVE/FLUX/ERR real, QUAL integer", SPEC,
      keyword="TFORMn", hdu="extension")
def column_types(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: the spectral, flux and error arrays are floating point (``E`` or
    ``D``) and the quality array integer (``B``, ``I``, ``J`` or ``K``)."""
    if not ctx.has_table:
        return
    for i, (name, form) in enumerate(ctx.column_formats(), 1):
        name = name.upper()
        code = re.sub(r"^\s*\d*", "", form)[:1]
        if name in ("WAVE", "FLUX", "ERR", "SNR") and code not in ("E", "D"):
            yield r.violation("must be floating point", keyword=f"TFORM{i}",
                              found=f"{name}: {form}", expected="E or D")
        elif name == "QUAL" and code not in ("B", "I", "J", "K"):
            yield r.violation("must be integer", keyword=f"TFORM{i}",
                              found=f"{name}: {form}", expected="B, I, J or K")


@functools.lru_cache(maxsize=256)
def _unit(text: str) -> u.UnitBase | None:
    # Cached: parsing a unit string costs ~0.5 ms and every product of a run repeats it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return u.Unit(text, parse_strict="raise")
        except (ValueError, TypeError):
            return None


@rule("P3-SPEC-046", "column units (TUNITn) as the standard requires", SPEC,
      keyword="TUNITn", hdu="extension")
def column_units(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: WAVE in 'nm' or 'angstrom'; FLUX a flux density (e.g.
    'erg.cm**(-2).s**(-1).angstrom**(-1)', or counts/'adu' when uncalibrated); ERR in the
    unit of FLUX (never a percentage); QUAL and SNR unitless ('')."""
    names = ctx.column_names
    hdr = ctx.extension

    def unit_of(name: str) -> str | None:
        return str(hdr.get(f"TUNIT{names[name]}", "")).strip() if name in names else None

    wave, flux, err = unit_of("WAVE"), unit_of("FLUX"), unit_of("ERR")
    if wave is not None and wave.lower() not in ("nm", "angstrom"):
        yield r.violation("spectral unit not allowed", keyword=f"TUNIT{names['WAVE']}",
                          found=wave, expected="'nm' or 'angstrom'")
    if flux is not None:
        parsed = _unit(flux)
        uncal = flux.lower() in UNCALIBRATED_UNITS
        ok = uncal or (parsed is not None and (
            parsed.is_equivalent(u.erg / u.s / u.cm**2 / u.AA)
            or parsed.is_equivalent(u.erg / u.s / u.cm**2 / u.Hz)))
        if not ok:
            yield r.violation("not a flux-density unit", keyword=f"TUNIT{names['FLUX']}",
                              found=flux, expected="e.g. 'erg.cm**(-2).s**(-1).angstrom**(-1)'")
    if err is not None and flux is not None and err != flux:
        yield r.violation("ERR unit differs from FLUX unit", keyword=f"TUNIT{names['ERR']}",
                          found=err, expected=flux)
    for name in ("QUAL", "SNR"):
        unit = unit_of(name)
        if unit:
            yield r.violation("must be unitless", keyword=f"TUNIT{names[name]}", found=unit,
                              expected="''")


def _column_meta_rule(ctx: ProductContext, r: Rule, prefix: str,
                      allowed: dict[str, tuple[str, ...]]) -> Iterator[Violation]:
    names = ctx.column_names
    for name, index in names.items():
        if name not in allowed:
            continue
        key = f"{prefix}{index}"
        value = ctx.extension.get(key)
        if value is None:
            yield r.violation("missing", keyword=key, expected=allowed[name][0])
        elif str(value).strip().lower() not in {a.lower() for a in allowed[name]}:
            yield r.violation(f"wrong value for column {name}", keyword=key, found=value,
                              expected=" or ".join(repr(a) for a in allowed[name]))


@rule("P3-SPEC-047", "TUTYPn: IVOA Spectrum data-model element of each column", SPEC,
      keyword="TUTYPn", hdu="extension")
def column_utypes(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: each column carries its utype (``spec:Data.SpectralAxis.Value``,
    ``spec:Data.FluxAxis.Value``, ``spec:Data.FluxAxis.Accuracy.StatError``,
    ``spec:Data.FluxAxis.Accuracy.QualityStatus``, ``eso:Data.FluxAxis.Accuracy.SNR``)."""
    yield from _column_meta_rule(ctx, r, "TUTYP", UTYPES)


@rule("P3-SPEC-048", "TUCDn: UCD of each column", SPEC, keyword="TUCDn", hdu="extension")
def column_ucds(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: WAVE ``em.wl`` (vacuum) or ``em.wl;obs.atmos`` (air); FLUX
    ``phot.flux.density;em.wl`` (``;stat.uncalib`` appended if uncalibrated); ERR
    ``stat.error;phot.flux.density;em.wl``; QUAL ``meta.code.qual;meta.main``; SNR
    ``stat.snr``."""
    yield from _column_meta_rule(ctx, r, "TUCD", UCDS)


@rule("P3-SPEC-049", "no BUNIT or CDi_j in a spectrum", SPEC, keyword="BUNIT", hdu="file")
def forbidden_keywords(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5: image keywords are not allowed in a 1D spectrum: ``BUNIT`` (units
    belong in ``TUNITn``) and the ``CDi_j`` matrix (the spectral axis is the WAVE array)."""
    for hdu_name in ("primary", "extension"):
        for key in ctx.header(hdu_name):
            if key == "BUNIT" or re.match(r"^CD\d+_\d+$", key):
                yield r.violation("keyword not allowed in a spectrum", keyword=key,
                                  hdu=hdu_name, found=ctx.header(hdu_name)[key],
                                  expected="absent")


# --- consistency of keywords and data ---------------------------------------------------


@rule("P3-SPEC-050", "WAVELMIN/WAVELMAX match the WAVE array", SPEC, keyword="WAVELMIN")
def wavelength_limits(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: WAVELMIN and WAVELMAX [nm] are the first and last wavelength of
    the spectrum (tolerance: half a bin)."""
    wave = _wave_nm(ctx)
    if wave is None or not np.isfinite(wave).any():
        return
    tol = 0.5 * float(np.nanmedian(np.diff(wave))) if wave.size > 1 else 1e-6
    tol = abs(tol) + 1e-9
    lo, hi = float(np.nanmin(wave)), float(np.nanmax(wave))
    for key, ref in (("WAVELMIN", lo), ("WAVELMAX", hi)):
        value = ctx.value("primary", key)
        if has_type(value, "float") and not _close(value, ref, tol):
            yield r.violation("does not match the WAVE array", keyword=key, found=value,
                              expected=f"{ref:.6g} nm")


@rule("P3-SPEC-051", "TDMIN1/TDMAX1 match the WAVE array", SPEC, keyword="TDMIN1",
      hdu="extension")
def tdmin_tdmax(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: TDMIN1/TDMAX1 give the range of column 1 in its own unit and equal
    WAVELMIN/WAVELMAX when that unit is nm."""
    wave = ctx.column("WAVE")
    if wave is None or wave.size == 0 or not np.isfinite(wave).any():
        return
    tol = abs(0.5 * float(np.nanmedian(np.diff(wave)))) + 1e-9 if wave.size > 1 else 1e-6
    for key, ref in (("TDMIN1", np.nanmin(wave)), ("TDMAX1", np.nanmax(wave))):
        value = ctx.value("extension", key)
        if has_type(value, "float") and not _close(value, ref, tol):
            yield r.violation("does not match the WAVE array", keyword=key, found=value,
                              expected=f"{float(ref):.6g}")


@rule("P3-SPEC-052", "SPEC_VAL and SPEC_BW follow from WAVELMIN/WAVELMAX", SPEC,
      keyword="SPEC_VAL", hdu="extension")
def spec_val_bw(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: SPEC_VAL = (WAVELMAX + WAVELMIN) / 2 and SPEC_BW = WAVELMAX -
    WAVELMIN, in nm (tolerance 0.01 nm)."""
    lo, hi = ctx.value("primary", "WAVELMIN"), ctx.value("primary", "WAVELMAX")
    if not (has_type(lo, "float") and has_type(hi, "float")):
        return
    for key, ref in (("SPEC_VAL", (lo + hi) / 2.0), ("SPEC_BW", hi - lo)):
        value = ctx.value("extension", key)
        if has_type(value, "float") and not _close(value, ref, 0.01):
            yield r.violation("inconsistent with WAVELMIN/WAVELMAX", keyword=key, found=value,
                              expected=f"{ref:.6g} nm")


@rule("P3-SPEC-053", "SPEC_BIN matches the sampling of WAVE", SPEC, keyword="SPEC_BIN")
def spec_bin(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: SPEC_BIN is the (mean) bin width of the spectral axis in nm,
    i.e. (WAVELMAX - WAVELMIN) / (NELEM - 1) within 10 per cent."""
    wave, value = _wave_nm(ctx), ctx.value("primary", "SPEC_BIN")
    if wave is None or wave.size < 2 or not has_type(value, "float"):
        return
    mean_bin = (float(wave[-1]) - float(wave[0])) / (wave.size - 1)
    if not np.isfinite(mean_bin) or abs(value - mean_bin) > 0.1 * abs(mean_bin):
        yield r.violation("differs from the mean bin of WAVE", found=value,
                          expected=f"{mean_bin:.6g} nm")


@rule("P3-SPEC-054", "wavelengths finite and strictly increasing", SPEC, keyword="WAVE",
      hdu="extension")
def monotonic_wave(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1 / IVOA Spectrum DM: the spectral axis is a coordinate; every value
    is finite and the array strictly increasing (no NaN, no repeats, no reversals)."""
    wave = ctx.column("WAVE")
    if wave is None:
        return
    bad = int((~np.isfinite(wave)).sum())
    if bad:
        yield r.violation("non-finite wavelengths", found=f"{bad} of {wave.size}",
                          expected="all finite")
    steps = np.diff(wave)
    wrong = int((steps[np.isfinite(steps)] <= 0).sum())
    if wrong:
        yield r.violation("not strictly increasing", found=f"{wrong} non-increasing steps",
                          expected="WAVE[i+1] > WAVE[i]")


@rule("P3-SPEC-055", "FLUX has finite values", SPEC, keyword="FLUX", hdu="extension")
def flux_finite(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """A science spectrum must contain data (ESO-044286 §5: the flux array is the
    product); a FLUX array that is all NaN/Inf is an empty product."""
    flux = ctx.column("FLUX")
    if flux is not None and (flux.size == 0 or not np.isfinite(flux).any()):
        yield r.violation("no finite flux value", found=f"0 of {flux.size} finite",
                          expected="finite values")


@rule("P3-SPEC-056", "ERR finite and non-negative where FLUX is", SPEC, keyword="ERR",
      hdu="extension")
def err_valid(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: ERR is the 1-sigma statistical error of FLUX in the same unit;
    an error is never negative, and a measured flux has a finite error."""
    flux, err = ctx.column("FLUX"), ctx.column("ERR")
    if flux is None or err is None or flux.size != err.size:
        return
    measured = np.isfinite(flux)
    negative = int((err[measured & np.isfinite(err)] < 0).sum())
    if negative:
        yield r.violation("negative errors", found=f"{negative} pixels", expected=">= 0")
    missing = int((measured & ~np.isfinite(err)).sum())
    if missing:
        yield r.violation("non-finite error for finite flux", found=f"{missing} pixels",
                          expected="finite")
    if measured.any() and not (err[measured & np.isfinite(err)] > 0).any():
        yield r.violation("all errors are zero", expected="positive errors")


@rule("P3-SPEC-057", "QUAL flags are non-negative and mark unusable pixels", SPEC,
      keyword="QUAL", hdu="extension")
def quality_flags(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: QUAL is 0 for good pixels and a sum of powers of two (flag bits)
    otherwise, so never negative; a pixel whose FLUX is not finite must be flagged."""
    flux, qual = ctx.column("FLUX"), ctx.column("QUAL")
    if qual is None:
        return
    negative = int((qual < 0).sum())
    if negative:
        yield r.violation("negative quality codes", found=f"{negative} pixels",
                          expected="0 or sums of powers of 2")
    if flux is not None and flux.size == qual.size:
        unflagged = int((~np.isfinite(flux) & (qual == 0)).sum())
        if unflagged:
            yield r.violation("non-finite FLUX with QUAL = 0", found=f"{unflagged} pixels",
                              expected="QUAL != 0 where FLUX is NaN/Inf")


@rule("P3-SPEC-058", "SNR keyword and SNR column agree with FLUX/ERR", SPEC, keyword="SNR")
def snr_plausible(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: SNR is the median signal-to-noise ratio of the spectrum; it must be
    within a factor 2 (or 1 absolute at low S/N) of the median FLUX/ERR of good pixels, and
    an SNR column must follow FLUX/ERR pixel by pixel (median relative difference < 10%)."""
    good = _good(ctx)
    if good is None or not good.any():
        return
    ratio = ctx.column("FLUX")[good] / ctx.column("ERR")[good]
    median = float(np.median(ratio))
    value = ctx.value("primary", "SNR")
    tolerance = max(1.0, 0.5 * abs(median), 0.5 * abs(value)) if has_type(value, "float") else 0
    if has_type(value, "float") and abs(value - median) > tolerance:
        yield r.violation("implausible for the data", found=value,
                          expected=f"about {median:.3g} (median FLUX/ERR)")
    column = ctx.column("SNR")
    if column is not None and column.size == good.size:
        diff = np.abs(column[good] - ratio) / np.maximum(np.abs(ratio), 1.0)
        if float(np.median(diff)) > 0.1:
            yield r.violation("SNR column disagrees with FLUX/ERR", keyword="SNR", hdu="extension",
                              found=f"median relative difference {float(np.median(diff)):.2g}",
                              expected="< 0.1")


@rule("P3-SPEC-059", "TELAPSE and TMID follow from MJD-OBS/MJD-END", SPEC, keyword="TELAPSE",
      hdu="extension")
def elapsed_and_mid(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: TELAPSE = (MJD-END - MJD-OBS) in seconds (tolerance 1 s) and TMID
    lies between MJD-OBS and MJD-END."""
    start, end = ctx.value("primary", "MJD-OBS"), ctx.value("primary", "MJD-END")
    if not (has_type(start, "float") and has_type(end, "float")):
        return
    telapse, tmid = ctx.value("extension", "TELAPSE"), ctx.value("extension", "TMID")
    if has_type(telapse, "float") and not _close(telapse, (end - start) * 86400.0, 1.0):
        yield r.violation("differs from MJD-END - MJD-OBS", found=telapse,
                          expected=f"{(end - start) * 86400.0:.1f} s")
    if has_type(tmid, "float") and not (min(start, end) - 1e-6 <= tmid <= max(start, end) + 1e-6):
        yield r.violation("outside MJD-OBS..MJD-END", keyword="TMID", found=tmid,
                          expected=f"{start} <= TMID <= {end}")


@rule("P3-SPEC-060", "extension OBJECT, RA, DEC equal the primary ones", SPEC,
      keyword="OBJECT", hdu="extension")
def same_target(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5: OBJECT, RA and DEC appear in both HDUs and must describe the same
    target (positions within 1e-6 deg)."""
    for key in ("OBJECT", "RA", "DEC"):
        p, e = ctx.value("primary", key), ctx.value("extension", key)
        if p is None or e is None:
            continue  # absence is reported by the keyword rules
        if isinstance(p, str) or isinstance(e, str):
            same = str(p).strip() == str(e).strip()
        else:
            same = abs(float(p) - float(e)) <= 1e-6
        if not same:
            yield r.violation("differs from the primary header", keyword=key, found=e,
                              expected=p)


@rule("P3-SPEC-061", "flux calibration keywords agree with each other and the units", SPEC,
      keyword="FLUXCAL")
def flux_calibration(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.2: an UNCALIBRATED spectrum has FLUXERR = -1, TOT_FLUX = F and the
    ';stat.uncalib' UCD on FLUX; an ABSOLUTE one has a physical flux-density unit; a
    continuum-normalised spectrum (CONTNORM = T) is not absolutely calibrated."""
    fluxcal = ctx.value("primary", "FLUXCAL")
    if not isinstance(fluxcal, str):
        return
    fluxcal = fluxcal.strip()
    names, ext = ctx.column_names, ctx.extension
    ucd = str(ext.get(f"TUCD{names['FLUX']}", "")) if "FLUX" in names else ""
    unit = str(ext.get(f"TUNIT{names['FLUX']}", "")).strip() if "FLUX" in names else ""
    if fluxcal == "UNCALIBRATED":
        if ctx.value("primary", "FLUXERR") not in (None, -1, -1.0):
            yield r.violation("FLUXERR must be -1 when uncalibrated", keyword="FLUXERR",
                              found=ctx.value("primary", "FLUXERR"), expected=-1)
        if ctx.value("primary", "TOT_FLUX") is True:
            yield r.violation("TOT_FLUX must be F when uncalibrated", keyword="TOT_FLUX",
                              found=True, expected=False)
        if ucd and "stat.uncalib" not in ucd:
            yield r.violation("FLUX UCD lacks ';stat.uncalib'", keyword=f"TUCD{names['FLUX']}",
                              hdu="extension", found=ucd,
                              expected="phot.flux.density;em.wl;stat.uncalib")
    elif fluxcal == "ABSOLUTE":
        if unit.lower() in UNCALIBRATED_UNITS:
            yield r.violation("absolute calibration needs a physical flux unit",
                              keyword=f"TUNIT{names.get('FLUX', 2)}", hdu="extension",
                              found=unit, expected="e.g. 'erg.cm**(-2).s**(-1).angstrom**(-1)'")
        if ctx.value("primary", "CONTNORM") is True:
            yield r.violation("a continuum-normalised spectrum is not ABSOLUTE",
                              keyword="CONTNORM", found=True, expected=False)


@rule("P3-SPEC-062", "VOCLASS 'SPECTRUM V2.0' when several flux arrays", SPEC,
      keyword="VOCLASS", hdu="extension")
def voclass_version(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: a file with secondary flux arrays (utypes
    ``eso:Data.FluxAxis.Value``, e.g. telluric-corrected beside plain) declares the
    Spectrum data model 2.0 (``VOCLASS = 'SPECTRUM V2.0'``)."""
    n_flux = sum(1 for k in ctx.extension if k.startswith("TUTYP")
                 and str(ctx.extension[k]).strip().lower().endswith("data.fluxaxis.value"))
    value = ctx.value("extension", "VOCLASS")
    if n_flux > 1 and isinstance(value, str) and value.strip().upper() != "SPECTRUM V2.0":
        yield r.violation("several flux arrays need Spectrum DM 2.0", found=value,
                          expected="SPECTRUM V2.0")


@rule("P3-SPEC-063", "wavelength coverage within the SOXS arm", SPEC, keyword="WAVELMIN")
def arm_coverage(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """SOXS instrument facts (PHASE3 notes): UV-VIS covers 350-850 nm and NIR 800-2000
    nm; WAVELMIN/WAVELMAX of a product of an arm (``ESO SEQ ARM``) lie within that range
    (with a margin for order edges), which catches wavelengths in the wrong unit."""
    arm = ctx.value("primary", "ESO SEQ ARM")
    if not isinstance(arm, str) or arm.strip() not in ARM_RANGES:
        return
    lo, hi = ARM_RANGES[arm.strip()]
    for key in ("WAVELMIN", "WAVELMAX"):
        value = ctx.value("primary", key)
        if has_type(value, "float") and not lo <= value <= hi:
            yield r.violation(f"outside the {arm.strip()} range", keyword=key, found=value,
                              expected=f"{lo}-{hi} nm")


@rule("P3-SPEC-064", "the spectrum table can be read", SPEC, keyword="NAXIS1", hdu="extension")
def table_readable(r: Rule, ctx: ProductContext) -> Iterator[Violation]:
    """ESO-044286 §5.1: the table's declared row size (NAXIS1) must equal the sum of its
    column sizes, and its data must be readable, or no other data check means anything."""
    if not ctx.has_table:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            row = ctx.row_size()
        except Exception as exc:  # noqa: BLE001
            yield r.violation(f"column definitions unusable: {exc}")
            return
        if ctx.extension.get("NAXIS1") != row:
            yield r.violation("row size differs from the columns",
                              found=ctx.extension.get("NAXIS1"), expected=row)
        if ctx.column("WAVE") is None and "WAVE" in ctx.column_names:
            yield r.violation("data unreadable", expected="a readable one-row table")
