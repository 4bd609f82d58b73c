"""The current magnitude of a transient: the one definition the pages, API and rules use.

The ingestion keeps ``marshall.transient.current_mag`` (an estimate of the present AB magnitude
from recent photometry). Where it is empty (an object inserted without it), the magnitude of
the latest detection in ``marshall.photometry`` stands in, converted from flux density in
microjansky with the AB zero point 23.9.
"""

from __future__ import annotations

#: AB magnitude of 1 microjansky.
UJY_ZERO_POINT = 23.9


def current_mag_sql(alias: str = "t") -> str:
    """SQL expression of the current AB magnitude of the transient row ``alias``.

    Parameters
    ----------
    alias : str
        Alias of ``marshall.transient`` in the enclosing query (a trusted identifier).

    Returns
    -------
    str
        ``coalesce`` of the stored estimate and the latest detection's magnitude; NULL when the
        object has neither.
    """
    return (
        f"coalesce({alias}.current_mag, (SELECT {UJY_ZERO_POINT} - 2.5 * log(p.flux_ujy) "
        f"FROM marshall.photometry p WHERE p.transient_id = {alias}.transient_id "
        "AND NOT p.upper_limit AND p.flux_ujy > 0 ORDER BY p.mjd DESC LIMIT 1))"
    )


def ujy_to_mag(flux_ujy: float | None) -> float | None:
    """AB magnitude of a flux density in microjansky (None for none or non-positive)."""
    import math

    if flux_ujy is None or flux_ujy <= 0:
        return None
    return UJY_ZERO_POINT - 2.5 * math.log10(flux_ujy)
