"""The SODA ``BAND`` parameter: a DALI interval of wavelengths in metres."""

from __future__ import annotations

import math
from dataclasses import dataclass

from soxsvo.errors import InputError


class BandError(InputError):
    """A BAND value that is not a usable interval; the message says why."""


@dataclass(frozen=True)
class Band:
    """A closed wavelength interval in metres; an open end is ``-inf`` / ``+inf``."""

    lo: float
    hi: float

    def describe(self) -> str:
        return f"{self.lo:g} {self.hi:g} m"


def parse_band(text: str) -> Band:
    """Parse ``"lo hi"`` (DALI 1.1 interval, metres; ``-Inf``/``+Inf`` for open ends).

    Raises
    ------
    BandError
        Not two numbers, NaN, a negative or zero upper end, or ``lo > hi``.
    """
    parts = text.replace("/", " ").split()
    if len(parts) != 2:
        raise BandError(f"BAND must be two numbers 'lo hi' in metres, got {text!r}")
    try:
        lo, hi = (float(part) for part in parts)
    except ValueError:
        raise BandError(f"BAND must be two numbers 'lo hi' in metres, got {text!r}") from None
    if math.isnan(lo) or math.isnan(hi):
        raise BandError(f"BAND limits must be numbers, got {text!r}")
    if lo > hi:
        raise BandError(f"BAND lower limit {lo:g} is above its upper limit {hi:g}")
    if hi <= 0:
        raise BandError(f"BAND upper limit must be a positive wavelength, got {hi:g} m")
    return Band(lo, hi)
