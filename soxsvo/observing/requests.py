"""What the consortium asks of a Marshall target's observation: exposure or S/N, cadence,
time window and constraints (``observing.request``), checked before it is stored."""

from __future__ import annotations

from datetime import datetime

import psycopg

from soxsvo.errors import NotFoundError
from soxsvo.observing.config import ObservingConfig, PlanningError

#: The fields a request may set, and their types.
FIELDS = {"exposure_s": float, "snr": float, "cadence_days": float, "window_start": datetime,
          "window_end": datetime, "max_airmass": float, "min_moon_distance": float}


def check_request(values: dict, config: ObservingConfig) -> None:
    """Raise :class:`PlanningError` when the constraints cannot be met by any night."""
    airmass = values.get("max_airmass")
    if airmass is not None and airmass < 1:
        raise PlanningError(f"max_airmass {airmass} is impossible: airmass is at least 1 "
                            "(at the zenith)")
    if airmass is not None and airmass < 1 / _sin_deg(90 - 0.5):
        raise PlanningError(f"max_airmass {airmass} would need the target within 0.5 deg "
                            "of the zenith for the whole exposure: no night can do that")
    exposure = values.get("exposure_s")
    if exposure is not None and not 0 < exposure <= config.max_exposure:
        raise PlanningError(f"exposure_s must be positive and at most {config.max_exposure:.0f}"
                            " s (observing.max_exposure); split longer ones over blocks")
    for key in ("snr", "cadence_days"):
        if values.get(key) is not None and values[key] <= 0:
            raise PlanningError(f"{key} must be positive")
    moon = values.get("min_moon_distance")
    if moon is not None and not 0 <= moon <= 180:
        raise PlanningError("min_moon_distance must lie between 0 and 180 degrees")
    start, end = values.get("window_start"), values.get("window_end")
    if (start is None) != (end is None):
        raise PlanningError("a time window needs both window_start and window_end")
    if start is not None and end <= start:
        raise PlanningError("window_end must come after window_start")


def _sin_deg(degrees: float) -> float:
    import math

    return math.sin(math.radians(degrees))


def set_request(conn: psycopg.Connection, transient_id: int, values: dict,
                config: ObservingConfig, *, actor: str) -> dict:
    """Store (replace) the request of a transient after :func:`check_request`; return it."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise PlanningError(f"unknown request field(s): {', '.join(unknown)}; known: "
                            f"{', '.join(FIELDS)}")
    check_request(values, config)
    with conn.transaction():
        if conn.execute("SELECT 1 FROM marshall.transient WHERE transient_id = %s",
                        (transient_id,)).fetchone() is None:
            raise NotFoundError(f"no transient {transient_id}")
        columns = list(FIELDS)
        row = [values.get(c) for c in columns]
        if row[columns.index("max_airmass")] is None:
            row[columns.index("max_airmass")] = 2.0
        conn.execute(
            f"INSERT INTO observing.request (transient_id, {', '.join(columns)}, requested_by, "
            f"updated_at) VALUES (%s, {', '.join(['%s'] * len(columns))}, %s, now()) "
            f"ON CONFLICT (transient_id) DO UPDATE SET "
            f"{', '.join(f'{c} = excluded.{c}' for c in columns)}, "
            "requested_by = excluded.requested_by, updated_at = now()",
            (transient_id, *row, actor))
    return {"transient_id": transient_id, **dict(zip(columns, row, strict=True)),
            "requested_by": actor}
