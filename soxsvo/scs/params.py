"""SCS 1.03 request parameters: RA, DEC, SR (degrees, ICRS) and VERB, checked into a
:class:`Cone`; every mistake raises :class:`~soxsvo.errors.InputError` naming the parameter."""

from __future__ import annotations

from dataclasses import dataclass

from soxsvo.dali.params import DALIParams
from soxsvo.errors import InputError
from soxsvo.utils.sky import PositionError, decimal_position, finite_number

#: VERB values (SCS 1.03 section 2): 1 identifier and position only, 2 the table's principal
#: columns, 3 every column.
VERBOSITIES = (1, 2, 3)
DEFAULT_VERB = 2


@dataclass(frozen=True)
class Cone:
    """A cone search: centre and radius in ICRS degrees, and the verbosity."""

    ra: float
    dec: float
    sr: float
    verb: int = DEFAULT_VERB


def _required(params: DALIParams, name: str) -> str:
    value = params.get(name)
    if value is None or not value.strip():
        raise InputError(f"parameter {name} is missing; a cone search needs RA, DEC and SR "
                         "in decimal degrees (ICRS), e.g. RA=10.68&DEC=41.27&SR=0.01")
    return value.strip()


def _radius(text: str, max_sr: float) -> float:
    try:
        sr = finite_number(text)
    except PositionError as error:
        raise InputError(f"SR={text!r}: {error}") from None
    if sr < 0:
        raise InputError(f"SR={text!r}: the search radius must not be negative (degrees)")
    if sr > max_sr:
        raise InputError(f"SR={text!r}: the search radius may be at most {max_sr:g} degrees "
                         "here; use TAP for larger regions")
    return sr


def _verbosity(params: DALIParams) -> int:
    text = params.get("VERB")
    if text is None or not text.strip():
        return DEFAULT_VERB
    try:
        verb = int(text)
    except ValueError:
        verb = None
    if verb not in VERBOSITIES:
        raise InputError(f"VERB={text!r}: use 1 (identifier and position), 2 (principal "
                         "columns) or 3 (every column)")
    return verb


def parse_cone(params: DALIParams, max_sr: float) -> Cone:
    """The cone of a request (SR=0 is allowed: no rows, every column described)."""
    ra_text, dec_text = _required(params, "RA"), _required(params, "DEC")
    try:
        ra, dec = decimal_position(ra_text, dec_text)
    except PositionError as error:
        raise InputError(f"RA={ra_text!r}, DEC={dec_text!r}: {error}") from None
    return Cone(ra, dec, _radius(_required(params, "SR"), max_sr), _verbosity(params))
