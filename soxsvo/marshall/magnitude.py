"""The current magnitude of a transient as the pages, API and rules read it.

There is one rule for a transient's current magnitude:
:func:`soxsvo.marshall.ingest.current_mag.update_current_magnitudes`, run whenever photometry
is added (alert ingestion, the demo archive). It stores the result in
``marshall.transient.current_mag``; everything else reads that column and never recomputes it.
"""

from __future__ import annotations

from soxsvo.marshall.ingest.model import UJY_ZERO_POINT
from soxsvo.marshall.ingest.model import ujy_to_mag as _positive_ujy_to_mag

__all__ = ["UJY_ZERO_POINT", "ujy_to_mag"]


def ujy_to_mag(flux_ujy: float | None) -> float | None:
    """AB magnitude of a flux density in microjansky (None for none or non-positive)."""
    if flux_ujy is None or flux_ujy <= 0:
        return None
    return _positive_ujy_to_mag(flux_ujy)
