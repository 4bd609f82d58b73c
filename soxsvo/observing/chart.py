"""What the night page draws: altitude curves of the planned targets and of the moon,
twilights, and each block on its target's curve (plain data; the page plots it with Plotly)."""

from __future__ import annotations

from datetime import date

import numpy as np
import psycopg

from soxsvo.observing.config import ObservingConfig
from soxsvo.observing.night import NightModel, tracks
from soxsvo.observing.plans import cached_night, night_summary, semester_share

#: Every how many grid steps the curves are sampled (the page needs no 2-minute resolution).
_SAMPLE = 5


def moon_altitude(model: NightModel) -> np.ndarray:
    """Altitude (degrees) of the moon at each grid step."""
    lat = np.radians(model.config.latitude)
    dec = np.radians(model.moon_dec)
    hour_angle = np.radians(model.local_era - model.moon_ra)
    sin_alt = np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(sin_alt, -1, 1)))


def night_chart(conn: psycopg.Connection, night_date: date, config: ObservingConfig,
                version: int | None = None) -> dict:
    """The night's plan (as :func:`night_summary`, through the caller's row-level security)
    with the curves and shares the night page draws."""
    summary = night_summary(conn, night_date, version)
    model = cached_night(night_date, config)
    steps = np.arange(0, model.steps, _SAMPLE)
    times = [model.time_at(int(i)).isoformat() for i in steps]
    blocks = summary["blocks"]
    curves = []
    if blocks:
        track = tracks(model, np.array([b["ra"] for b in blocks]),
                       np.array([b["dec"] for b in blocks]))
        curves = [{"target": b["target"], "programme": b["programme"],
                   "altitude": np.round(track.altitude[n, steps], 2).tolist()}
                  for n, b in enumerate(blocks)]
    hours = {p: sum((b["end"] - b["start"]).total_seconds() / 3600 for b in blocks
                    if b["programme"] == p) for p in ("GTO", "ESO", "calibration")}
    return {**summary, "times": times, "curves": curves,
            "moon": {"altitude": np.round(moon_altitude(model)[steps], 2).tolist(),
                     "illumination": round(model.moon_illumination, 3)},
            "twilights": {k: [v[0].isoformat(), v[1].isoformat()]
                          for k, v in model.twilights.items()},
            "sunset": model.sunset.isoformat(), "sunrise": model.sunrise.isoformat(),
            "min_altitude": config.min_altitude,
            "semester": semester_share(conn, night_date, config),
            "shares": {"hours": hours, "budget": {"GTO": config.gto_share * model.hours,
                                                  "ESO": (1 - config.gto_share) * model.hours}}}
