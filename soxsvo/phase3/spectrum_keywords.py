"""Keyword rules of 1D spectra (``P3-SPEC-001`` to ``P3-SPEC-034``).

ESO-044286 §5 (one-dimensional spectra) lists the primary-header keywords of a
``SCIENCE.SPECTRUM`` product and those of its binary-table extension; each row becomes a
rule here. Where the standard asks more than the project's PHASE3 notes (``DISPELEM``,
``M_EPOCH``, the capital ``V`` of ``VOCLASS``), the standard is followed.
"""

from __future__ import annotations

from soxsvo.phase3.keywords import keyword_rule
from soxsvo.phase3.rules import Severity

SPEC = ("SCIENCE.SPECTRUM",)
STD = "ESO-044286 §5 (1D spectra)"
EXT = "extension"

# --- primary header -------------------------------------------------------------------
keyword_rule("P3-SPEC-001", "FLUXERR", SPEC, "float",
             f"{STD}: FLUXERR, uncertainty of the flux scale in percent; -1 when the flux is "
             "not calibrated, -2 when the uncertainty cannot be determined. Mandatory where "
             "applicable, i.e. always for SOXS.",
             predicate=lambda v: v in (-1, -2) or v >= 0, expected="-1, -2 or >= 0 (%)")
keyword_rule("P3-SPEC-002", "SPECSYS", SPEC, "str",
             f"{STD}: SPECSYS, frame of the spectral coordinate: 'TOPOCENT' (soxspipe applies "
             "no barycentric correction) or 'BARYCENT'.", values=("TOPOCENT", "BARYCENT"))
keyword_rule("P3-SPEC-003", "CONTNORM", SPEC, "bool",
             f"{STD}: CONTNORM, T if the spectrum is normalised to the continuum.")
keyword_rule("P3-SPEC-004", "TOT_FLUX", SPEC, "bool",
             f"{STD}: TOT_FLUX, T if the night was photometric and all source flux captured.")
keyword_rule("P3-SPEC-005", "WAVELMIN", SPEC, "float",
             f"{STD}: WAVELMIN [nm], the shortest wavelength of the spectrum.",
             predicate=lambda v: v > 0, expected="> 0 nm")
keyword_rule("P3-SPEC-006", "WAVELMAX", SPEC, "float",
             f"{STD}: WAVELMAX [nm], the longest wavelength of the spectrum.",
             predicate=lambda v: v > 0, expected="> 0 nm")
keyword_rule("P3-SPEC-007", "SPEC_BIN", SPEC, "float",
             f"{STD}: SPEC_BIN [nm], the (average) width of a spectral bin; soxspipe uses "
             "0.02 nm (UV-VIS) and 0.06 nm (NIR).",
             predicate=lambda v: v > 0, expected="> 0 nm")
keyword_rule("P3-SPEC-008", "SPEC_RES", SPEC, "float",
             f"{STD}: SPEC_RES, the reference resolving power lambda/delta-lambda "
             "(SOXS ~4500 UV-VIS, ~5000 NIR for a 1 arcsec slit).",
             predicate=lambda v: v > 0, expected="> 0")
keyword_rule("P3-SPEC-009", "SNR", SPEC, "float",
             f"{STD}: SNR, the median signal-to-noise ratio of the spectrum.",
             predicate=lambda v: v >= 0, expected=">= 0")
keyword_rule("P3-SPEC-010", "DISPELEM", SPEC, "str",
             f"{STD}: DISPELEM, the dispersive element (for SOXS the arm: 'UVVIS', 'NIR', "
             "'UVVIS,NIR'). Not in the project's PHASE3 notes, but mandatory in the standard "
             "and written by ESO's own spectrum writer.",
             predicate=lambda v: bool(v), expected="a non-blank name")
keyword_rule("P3-SPEC-011", "EXT_OBJ", SPEC, "bool",
             f"{STD}: EXT_OBJ, T for an extended source; mandatory for externally submitted "
             "products, recommended for internal ones (hence a warning).",
             severity=Severity.WARNING)
keyword_rule("P3-SPEC-012", "ESO SEQ ARM", SPEC, "str",
             "SOXS convention (not ESO-044286): the arm of the product, as the raw frames' "
             "'HIERARCH ESO SEQ ARM' ('VIS' there): 'UVVIS', 'VIS', 'NIR' or 'MERGED'. "
             "Registration and previews select on it.",
             values=("UVVIS", "VIS", "NIR", "MERGED"))
keyword_rule("P3-SPEC-013", "SPEC_ERR", SPEC, "float",
             f"{STD}: SPEC_ERR [nm], statistical error of the spectral coordinate; "
             "recommended, positive when given.",
             predicate=lambda v: v > 0, expected="> 0 nm", mandatory=False)
keyword_rule("P3-SPEC-014", "SPEC_SYE", SPEC, "float",
             f"{STD}: SPEC_SYE [nm], systematic error of the spectral coordinate; "
             "recommended, non-negative when given.",
             predicate=lambda v: v >= 0, expected=">= 0 nm", mandatory=False)

# --- extension header ---------------------------------------------------------------
keyword_rule("P3-SPEC-020", "EXTNAME", SPEC, "str",
             f"{STD}: the spectrum extension is named (EXTNAME, conventionally 'SPECTRUM').",
             hdu=EXT, predicate=lambda v: bool(v), expected="a name, e.g. 'SPECTRUM'")
keyword_rule("P3-SPEC-021", "VOCLASS", SPEC, "str",
             f"{STD}: VOCLASS names the IVOA Spectrum data model: 'SPECTRUM V1.0' for one "
             "flux array, 'SPECTRUM V2.0' when secondary flux arrays are present.",
             hdu=EXT, predicate=lambda v: v.upper() in ("SPECTRUM V1.0", "SPECTRUM V2.0"),
             expected="'SPECTRUM V1.0' or 'SPECTRUM V2.0'")
keyword_rule("P3-SPEC-022", "VOPUB", SPEC, "str",
             f"{STD}: VOPUB, the VO publishing authority, 'ESO/SAF' for ESO products.",
             hdu=EXT, values=("ESO/SAF",))
keyword_rule("P3-SPEC-023", "TITLE", SPEC, "str",
             f"{STD}: TITLE, a short human-readable title of the dataset.",
             hdu=EXT, predicate=lambda v: bool(v), expected="a non-blank title")
keyword_rule("P3-SPEC-024", "APERTURE", SPEC, "float",
             f"{STD}: APERTURE [deg], the slit width (SOXS slits 0.5-5 arcsec, so well "
             "below 0.01 deg; a value in arcsec is the usual mistake).",
             hdu=EXT, predicate=lambda v: 0 < v < 0.01, expected="0 < APERTURE < 0.01 deg")
keyword_rule("P3-SPEC-025", "TELAPSE", SPEC, "float",
             f"{STD}: TELAPSE [s], total elapsed time from the start of the first to the end "
             "of the last exposure.", hdu=EXT, predicate=lambda v: v > 0, expected="> 0 s")
keyword_rule("P3-SPEC-026", "TMID", SPEC, "float",
             f"{STD}: TMID, MJD of the middle of the observation.", hdu=EXT)
keyword_rule("P3-SPEC-027", "SPEC_VAL", SPEC, "float",
             f"{STD}: SPEC_VAL [nm], characteristic wavelength (WAVELMIN + WAVELMAX) / 2.",
             hdu=EXT, predicate=lambda v: v > 0, expected="> 0 nm")
keyword_rule("P3-SPEC-028", "SPEC_BW", SPEC, "float",
             f"{STD}: SPEC_BW [nm], bandwidth WAVELMAX - WAVELMIN.",
             hdu=EXT, predicate=lambda v: v > 0, expected="> 0 nm")
keyword_rule("P3-SPEC-029", "NELEM", SPEC, "int",
             f"{STD}: NELEM, the number of elements of each array column.",
             hdu=EXT, predicate=lambda v: v > 0, expected="> 0")
keyword_rule("P3-SPEC-030", "TDMIN1", SPEC, "float",
             f"{STD}: TDMIN1, the smallest value of column 1 (WAVE).", hdu=EXT)
keyword_rule("P3-SPEC-031", "TDMAX1", SPEC, "float",
             f"{STD}: TDMAX1, the largest value of column 1 (WAVE).", hdu=EXT)
keyword_rule("P3-SPEC-032", "OBJECT", SPEC, "str",
             f"{STD}: OBJECT is repeated in the extension header (VO Spectrum DM "
             "Target.Name).", hdu=EXT, predicate=lambda v: bool(v),
             expected="a non-blank target designation")
keyword_rule("P3-SPEC-033", "RA", SPEC, "float",
             f"{STD}: RA [deg] is repeated in the extension header.", hdu=EXT,
             predicate=lambda v: 0.0 <= v < 360.0, expected="0 <= RA < 360 deg")
keyword_rule("P3-SPEC-034", "DEC", SPEC, "float",
             f"{STD}: DEC [deg] is repeated in the extension header.", hdu=EXT,
             predicate=lambda v: -90.0 <= v <= 90.0, expected="-90 <= DEC <= 90 deg")
