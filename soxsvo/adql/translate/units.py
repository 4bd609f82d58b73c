"""Unit conversion for IN_UNIT, backed by :mod:`astropy.units` (VOUnit syntax)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=256)
def conversion_factor(source: str, target: str) -> float:
    """Return the factor converting a value in ``source`` units to ``target`` units.

    Raises
    ------
    ValueError
        If a unit cannot be parsed or the two units are not commensurable.
    """
    import astropy.units as u

    try:
        src = u.Unit(source, format="vounit", parse_strict="raise")
    except ValueError:
        src = u.Unit(source, parse_strict="raise")
    try:
        dst = u.Unit(target, format="vounit", parse_strict="raise")
    except ValueError:
        try:
            dst = u.Unit(target, parse_strict="raise")
        except ValueError:
            raise ValueError(f"unknown unit {target!r}") from None
    try:
        return float(src.to(dst))
    except u.UnitConversionError:
        raise ValueError(f"cannot convert {source} to {target}") from None
