"""SSA 1.1 request parameters: parsed and checked into a :class:`SpectrumQuery`.

Every value a caller can get wrong raises :class:`~soxsvo.dali.DALIError` (HTTP 400) naming the
parameter, what was sent and what is expected, so the SSA error document says how to fix it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from astropy.time import Time
from erfa import ErfaWarning

from soxsvo.dali.params import DALIParams
from soxsvo.errors import InputError
from soxsvo.utils.sky import PositionError, decimal_position, finite_number

#: FORMAT values of queryData and the spectrum formats each one lists (SSA 1.1 section 8.1.2).
#: ``native`` is the archived Phase 3 FITS; ``compliant`` the Spectrum Data Model VOTable.
FORMAT_CHOICES: dict[str, tuple[str, ...]] = {
    "all": ("fits", "votable"),
    "compliant": ("votable",),
    "native": ("fits",),
    "fits": ("fits",),
    "votable": ("votable",),
    "application/fits": ("fits",),
    "application/x-votable+xml": ("votable",),
}
METADATA = "metadata"
#: Formats listed when the client names none: one row per spectrum, its archived FITS. Both
#: formats listed each spectrum twice (TOPCAT's multi-SSA showed every spectrum twice); DaCHS
#: and ESO list one row per dataset unless FORMAT asks for more (``all``, ``compliant``...).
DEFAULT_FORMATS = ("fits",)
#: Largest SIZE (diameter, degrees): a whole hemisphere; beyond it SIZE means nothing.
MAX_SIZE_DEG = 180.0
#: SIZE when POS comes alone: SOXS's slit is 12 arcsec long, so a target is within 1 arcmin.
DEFAULT_SIZE_DEG = 1.0 / 60.0
FRAMES = ("ICRS",)


@dataclass(frozen=True)
class Interval:
    """A closed interval; ``None`` ends are open (``lo/``, ``/hi``)."""

    lo: float | None
    hi: float | None


@dataclass(frozen=True)
class SpectrumQuery:
    """The constraints of an SSA queryData request, in archive units (deg, m, MJD)."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    band: tuple[Interval, ...] = ()
    time: tuple[Interval, ...] = ()
    target_names: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    pubdids: tuple[str, ...] = ()
    snr: tuple[Interval, ...] = ()
    specrp: tuple[Interval, ...] = ()
    redshift: tuple[Interval, ...] = ()
    maxrec: int = 1000
    echo: dict[str, str] = field(default_factory=dict)


def _number(name: str, text: str) -> float:
    try:
        return finite_number(text)
    except PositionError as error:
        raise InputError(f"{name}={text!r}: {error}") from None


def parse_pos(text: str) -> tuple[float, float]:
    """``ra,dec`` in ICRS degrees, optionally followed by ``;ICRS`` (SSA 1.1 section 8.4.1.1)."""
    value, _, frame = text.partition(";")
    if frame and frame.strip().upper() not in FRAMES:
        raise InputError(f"POS={text!r}: reference frame {frame.strip()!r} is not supported; "
                         "give ICRS coordinates (POS=ra,dec or POS=ra,dec;ICRS)")
    parts = value.split(",")
    if len(parts) != 2:
        raise InputError(f"POS={text!r}: expected two numbers 'ra,dec' in degrees")
    try:
        return decimal_position(*parts)
    except PositionError as error:
        raise InputError(f"POS={text!r}: {error}") from None


def parse_size(text: str) -> float:
    """SIZE: the diameter of the search cone in degrees, > 0 and at most 180."""
    size = _number("SIZE", text.strip())
    if size <= 0:
        raise InputError(f"SIZE={text!r}: the diameter must be positive (degrees)")
    if size > MAX_SIZE_DEG:
        raise InputError(f"SIZE={text!r}: the diameter must be at most {MAX_SIZE_DEG:g} degrees")
    return size


def _range_list(name: str, text: str, convert) -> tuple[Interval, ...]:
    """A comma-separated list of ``value``, ``lo/hi``, ``lo/`` or ``/hi`` (SSA 1.1 8.2.3)."""
    intervals = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise InputError(f"{name}={text!r}: empty range in the list")
        if "/" in item:
            lo_text, _, hi_text = item.partition("/")
            if "/" in hi_text:
                raise InputError(f"{name}={text!r}: a range has one '/' (lo/hi)")
            lo = convert(name, lo_text.strip()) if lo_text.strip() else None
            hi = convert(name, hi_text.strip()) if hi_text.strip() else None
            if lo is None and hi is None:
                raise InputError(f"{name}={text!r}: a range needs at least one end")
            if lo is not None and hi is not None and lo > hi:
                raise InputError(f"{name}={text!r}: the range starts after it ends")
        else:
            lo = hi = convert(name, item)
        intervals.append(Interval(lo, hi))
    return tuple(intervals)


def _wavelength(name: str, text: str) -> float:
    value = _number(name, text)
    if value <= 0:
        raise InputError(f"{name}: wavelength {text} must be positive (metres)")
    if value > 1.0:
        # A wavelength above 1 m is almost certainly nm or Angstrom sent where metres are due.
        raise InputError(f"{name}: wavelength {text} m is outside any spectrum here; BAND is in "
                         "metres, e.g. BAND=6.5e-7/6.6e-7 for 650-660 nm")
    return value


def _mjd(name: str, text: str) -> float:
    try:
        # Why errors: ERFA only warns of a year it cannot convert reliably (e.g. 99999), and
        # the search would then run on a made-up instant.
        with warnings.catch_warnings():
            warnings.simplefilter("error", ErfaWarning)
            return float(Time(text, format="isot" if "T" in text else "iso", scale="utc").mjd)
    except (ValueError, ErfaWarning):
        raise InputError(f"{name}: {text!r} is not an ISO 8601 date "
                         "(YYYY-MM-DD or YYYY-MM-DDThh:mm:ss)") from None


def _plain(name: str, text: str) -> float:
    return _number(name, text)


def parse_band(text: str) -> tuple[Interval, ...]:
    """BAND: wavelength ranges in metres."""
    return _range_list("BAND", text, _wavelength)


def parse_time(text: str) -> tuple[Interval, ...]:
    """TIME: ISO 8601 instants or ranges, returned as MJD (UTC) intervals."""
    return _range_list("TIME", text, _mjd)


def parse_format(text: str | None) -> str | tuple[str, ...]:
    """FORMAT: ``metadata`` or the spectrum formats (``fits``, ``votable``) to list."""
    if text is None or not text.strip():
        return DEFAULT_FORMATS
    value = text.strip().lower()
    if value == METADATA:
        return METADATA
    choices = []
    for item in value.split(","):
        item = item.strip()
        if item not in FORMAT_CHOICES:
            raise InputError(f"FORMAT={text!r} is not supported; use one of "
                             f"{', '.join([*FORMAT_CHOICES, METADATA])}")
        choices.extend(f for f in FORMAT_CHOICES[item] if f not in choices)
    return tuple(choices)


def _minimum(name: str, text: str) -> tuple[Interval, ...]:
    """SNR and SPECRP: a bare number is a lower limit (SSA 1.1 8.5.x), ranges are ranges."""
    if "/" not in text and "," not in text:
        return (Interval(_number(name, text.strip()), None),)
    return _range_list(name, text, _plain)


def _names(params: DALIParams, name: str) -> tuple[str, ...]:
    values = []
    for raw in params.getall(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return tuple(values)


def parse_query(params: DALIParams, maxrec_default: int, maxrec_hard: int) -> SpectrumQuery:
    """All queryData constraints of ``params`` (FORMAT must not be ``metadata``)."""
    formats = parse_format(params.get("FORMAT"))
    assert formats != METADATA
    pos, size = params.get("POS"), params.get("SIZE")
    ra = dec = radius = None
    if pos is not None and pos.strip():
        ra, dec = parse_pos(pos)
        radius = (parse_size(size) if size and size.strip() else DEFAULT_SIZE_DEG) / 2.0
    elif size is not None and size.strip():
        parse_size(size)  # a bad SIZE is an error even without POS
    maxrec = params.get_int("MAXREC", maxrec_default)
    optional = {name: params.get(name) for name in ("BAND", "TIME", "SNR", "SPECRP", "REDSHIFT")}
    given = {k: v for k, v in optional.items() if v is not None and v.strip()}
    return SpectrumQuery(
        formats=formats,
        ra=ra, dec=dec, radius=radius,
        band=parse_band(given["BAND"]) if "BAND" in given else (),
        time=parse_time(given["TIME"]) if "TIME" in given else (),
        target_names=_names(params, "TARGETNAME"),
        collections=_names(params, "COLLECTION"),
        pubdids=tuple(v.strip() for v in params.getall("PUBDID") if v.strip()),
        snr=_minimum("SNR", given["SNR"]) if "SNR" in given else (),
        specrp=_minimum("SPECRP", given["SPECRP"]) if "SPECRP" in given else (),
        redshift=(_range_list("REDSHIFT", given["REDSHIFT"], _plain)
                  if "REDSHIFT" in given else ()),
        maxrec=min(maxrec, maxrec_hard),
        echo={name: value for name, value in params.items()},
    )
