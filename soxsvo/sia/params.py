"""SIAP 2.0 query parameters (SIA 2.0 section 2.2), checked into an :class:`ImageQuery`.

Values follow DALI: numbers in the units SIA fixes (degrees, metres, MJD, seconds, arcsec),
intervals as ``lo hi`` with ``-Inf``/``+Inf`` for an open end, a parameter given several times
means any of its values, different parameters must all hold. Every mistake raises
:class:`~soxsvo.errors.InputError` naming the parameter and what it expects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from soxsvo.dali.params import DALIParams
from soxsvo.errors import InputError

#: ObsCore column of each numeric interval parameter: the column's value must lie in it.
VALUE_INTERVALS = {"FOV": "s_fov", "SPATRES": "s_resolution", "EXPTIME": "t_exptime",
                   "SPECRP": "em_res_power", "TIMERES": "t_resolution"}
#: Interval parameters matched by overlap with a (min, max) pair of columns.
OVERLAP_INTERVALS = {"BAND": ("em_min", "em_max"), "TIME": ("t_min", "t_max")}
#: String parameters and the ObsCore column each must equal.
STRING_PARAMS = {"ID": "obs_publisher_did", "COLLECTION": "obs_collection",
                 "FACILITY": "facility_name", "INSTRUMENT": "instrument_name",
                 "DPTYPE": "dataproduct_type", "TARGET": "target_name",
                 "FORMAT": "access_format"}
#: Polarisation states of ObsCore 1.1 (``pol_states`` lists them between slashes).
POL_STATES = ("I", "Q", "U", "V", "RR", "LL", "RL", "LR", "XX", "YY", "XY", "YX", "POLI",
              "POLA")
CALIB_LEVELS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Circle:
    ra: float
    dec: float
    radius: float


@dataclass(frozen=True)
class Range:
    """A coordinate range; ``ra_min > ra_max`` wraps through RA 0."""

    ra_min: float
    ra_max: float
    dec_min: float
    dec_max: float

    @property
    def all_ra(self) -> bool:
        return self.ra_max - self.ra_min >= 360.0


@dataclass(frozen=True)
class Polygon:
    vertices: tuple[tuple[float, float], ...]


Shape = Circle | Range | Polygon


@dataclass(frozen=True)
class ImageQuery:
    """The constraints of a SIA query; each tuple is an OR of its values."""

    shapes: tuple[Shape, ...] = ()
    overlaps: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    values: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    strings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pol: tuple[str, ...] = ()
    calib: tuple[int, ...] = ()
    maxrec: int = 1000


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a number") from None
    if math.isnan(value):
        raise InputError(f"{name}: NaN is not a value")
    return value


def _finite(name: str, text: str) -> float:
    value = _number(name, text)
    if math.isinf(value):
        raise InputError(f"{name}: {text!r} must be finite here")
    return value


def _latitude(name: str, value: float) -> float:
    if not -90.0 <= value <= 90.0:
        raise InputError(f"{name}: latitude {value:g} is outside [-90, 90] degrees")
    return value


def _longitude(name: str, value: float) -> float:
    if not 0.0 <= value <= 360.0:
        raise InputError(f"{name}: longitude {value:g} is outside [0, 360] degrees")
    return value


def _circle(text: str, numbers: list[str]) -> Circle:
    if len(numbers) != 3:
        raise InputError(f"POS={text!r}: CIRCLE takes three numbers: ra dec radius (degrees)")
    ra, dec, radius = (_finite("POS", v) for v in numbers)
    if not 0.0 < radius <= 180.0:
        raise InputError(f"POS={text!r}: the CIRCLE radius must be in (0, 180] degrees")
    return Circle(_longitude("POS", ra), _latitude("POS", dec), radius)


def _range(text: str, numbers: list[str]) -> Range:
    if len(numbers) != 4:
        raise InputError(f"POS={text!r}: RANGE takes four numbers: ra_min ra_max dec_min "
                         "dec_max (degrees; -Inf/+Inf for no limit)")
    ra1, ra2, dec1, dec2 = (_number("POS", v) for v in numbers)
    ra1 = 0.0 if ra1 == -math.inf else ra1
    ra2 = 360.0 if ra2 == math.inf else ra2
    dec1, dec2 = max(dec1, -90.0), min(dec2, 90.0)
    for value in (ra1, ra2):
        _longitude("POS", value)
    for value in (dec1, dec2):
        _latitude("POS", value)
    if dec1 > dec2:
        raise InputError(f"POS={text!r}: the declination range starts after it ends")
    return Range(ra1, ra2, dec1, dec2)


def _polygon(text: str, numbers: list[str]) -> Polygon:
    if len(numbers) < 6 or len(numbers) % 2:
        raise InputError(f"POS={text!r}: POLYGON takes at least three ra dec pairs (degrees)")
    values = [_finite("POS", v) for v in numbers]
    pairs = tuple((_longitude("POS", values[i]), _latitude("POS", values[i + 1]))
                  for i in range(0, len(values), 2))
    return Polygon(pairs)


def parse_pos(text: str) -> Shape:
    """One POS value: ``CIRCLE ra dec r``, ``RANGE ra1 ra2 dec1 dec2`` or ``POLYGON ...``."""
    words = text.split()
    shapes = {"CIRCLE": _circle, "RANGE": _range, "POLYGON": _polygon}
    if not words or words[0].upper() not in shapes:
        raise InputError(f"POS={text!r}: expected CIRCLE, RANGE or POLYGON followed by "
                         "numbers in degrees, e.g. POS=CIRCLE 10.68 41.27 0.1")
    return shapes[words[0].upper()](text, words[1:])


def parse_interval(name: str, text: str) -> tuple[float, float]:
    """A DALI interval ``lo hi`` (one number: that value alone)."""
    words = text.split()
    if len(words) == 1:
        value = _finite(name, words[0])
        return value, value
    if len(words) != 2:
        raise InputError(f"{name}={text!r}: expected an interval 'lo hi' (-Inf/+Inf for "
                         "an open end)")
    lo, hi = _number(name, words[0]), _number(name, words[1])
    if lo > hi:
        raise InputError(f"{name}={text!r}: the interval starts after it ends")
    return lo, hi


def _intervals(params: DALIParams, names) -> dict[str, tuple[tuple[float, float], ...]]:
    found = {}
    for name in names:
        values = [v for v in params.getall(name) if v.strip()]
        if values:
            found[name] = tuple(parse_interval(name, v) for v in values)
    return found


def _pol(params: DALIParams) -> tuple[str, ...]:
    states = tuple(v.strip().upper() for v in params.getall("POL") if v.strip())
    for state in states:
        if state not in POL_STATES:
            raise InputError(f"POL={state!r} is not a polarisation state; use one of "
                             + ", ".join(POL_STATES))
    return states


def _calib(params: DALIParams) -> tuple[int, ...]:
    levels = []
    for text in (v.strip() for v in params.getall("CALIB") if v.strip()):
        if not text.isdigit() or int(text) not in CALIB_LEVELS:
            raise InputError(f"CALIB={text!r}: use a calibration level 0 to 4")
        levels.append(int(text))
    return tuple(levels)


def parse_query(params: DALIParams, maxrec_default: int, maxrec_hard: int) -> ImageQuery:
    """Every SIA constraint of ``params``."""
    strings = {name: tuple(v for v in params.getall(name) if v.strip())
               for name in STRING_PARAMS}
    maxrec = params.get_int("MAXREC", maxrec_default)
    return ImageQuery(
        shapes=tuple(parse_pos(v) for v in params.getall("POS") if v.strip()),
        overlaps=_intervals(params, OVERLAP_INTERVALS),
        values=_intervals(params, VALUE_INTERVALS),
        strings={k: v for k, v in strings.items() if v},
        pol=_pol(params), calib=_calib(params),
        maxrec=min(maxrec, maxrec_hard))
