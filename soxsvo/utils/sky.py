"""Sky positions as callers type them: the one parser the SSA ``POS`` and the archive page use.

Errors are :class:`PositionError` (a ``ValueError``) with a message for the caller; each
interface turns it into its own kind of error (DALI error document, form message).
"""

from __future__ import annotations

import math

from soxsvo.errors import InputError


class PositionError(InputError):
    """A position or one of its numbers is not understood; the message says why."""


def finite_number(text: str) -> float:
    """The finite float ``text`` spells, else :class:`PositionError`."""
    try:
        value = float(text)
    except ValueError:
        raise PositionError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise PositionError("the value must be finite")
    return value


def icrs_degrees(ra: float, dec: float) -> tuple[float, float]:
    """Check a position in degrees; RA 360 is RA 0."""
    if not 0.0 <= ra <= 360.0:
        raise PositionError(f"right ascension {ra} is outside [0, 360) degrees")
    if not -90.0 <= dec <= 90.0:
        raise PositionError(f"declination {dec} is outside [-90, 90] degrees")
    return ra % 360.0, dec


def decimal_position(ra_text: str, dec_text: str) -> tuple[float, float]:
    """ICRS degrees from the two decimal numbers of a position."""
    return icrs_degrees(finite_number(ra_text.strip()), finite_number(dec_text.strip()))


def parse_position(text: str) -> tuple[float, float]:
    """ICRS degrees from ``"ra dec"`` / ``"ra, dec"`` in degrees or sexagesimal
    (``10:00:00 -30:00:00``, RA in hours)."""
    parts = text.replace(",", " ").split()
    if len(parts) == 2 and _is_float(parts[0]) and _is_float(parts[1]):
        return decimal_position(parts[0], parts[1])
    # Imported here: astropy.coordinates costs every command-line start about a second.
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    try:
        coord = SkyCoord(text, unit=(u.hourangle, u.deg), frame="icrs")
    except (ValueError, u.UnitsError):
        raise PositionError(f"position {text!r} is neither 'ra dec' in degrees nor "
                            "sexagesimal 'hh:mm:ss ±dd:mm:ss'") from None
    return float(coord.ra.deg), float(coord.dec.deg)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
