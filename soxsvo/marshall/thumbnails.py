"""Light-curve thumbnails for list pages: small inline SVG drawn from one query per page.

Only numbers and colours from :data:`BAND_COLOURS` go into the SVG, so the markup carries no
user text; the template escapes it anyway.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import psycopg

from soxsvo.marshall.magnitude import UJY_ZERO_POINT

#: Colour of each photometric band (filters by their usual colour), shared with the big plots.
BAND_COLOURS = {
    "ztf-g": "#2ca02c", "ztf-r": "#d62728", "ztf-i": "#8c564b",
    "atlas-c": "#17becf", "atlas-o": "#ff7f0e", "gaia-G": "#7f7f7f",
    "lsst-u": "#9467bd", "lsst-g": "#2ca02c", "lsst-r": "#d62728", "lsst-i": "#8c564b",
    "lsst-z": "#e377c2", "lsst-y": "#bcbd22",
}
_FALLBACK = "#1f77b4"
WIDTH, HEIGHT, PAD = 120, 36, 3


def band_colour(band: str) -> str:
    """Plot colour of a band (blue for bands not listed)."""
    return BAND_COLOURS.get(band, _FALLBACK)


@dataclass(frozen=True)
class Thumbnail:
    """Polylines (colour, ``"x,y x,y ..."``) of detections, in SVG user units."""

    lines: tuple[tuple[str, str], ...]
    width: int = WIDTH
    height: int = HEIGHT


def thumbnails(conn: psycopg.Connection, transient_ids: list[int]) -> dict[int, Thumbnail]:
    """Thumbnails of the detections of these transients ."""
    if not transient_ids:
        return {}
    rows = conn.execute(
        f"SELECT transient_id, band, mjd, {UJY_ZERO_POINT} - 2.5 * log(flux_ujy) "
        "FROM marshall.photometry p WHERE transient_id = ANY(%s) AND NOT upper_limit "
        "AND flux_ujy > 0 ORDER BY transient_id, band, mjd",
        (transient_ids,)).fetchall()
    per_object: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    for transient_id, band, mjd, mag in rows:
        per_object[transient_id].append((band, mjd, mag))
    return {tid: _draw(points) for tid, points in per_object.items()}


def _draw(points: list[tuple[str, float, float]]) -> Thumbnail:
    t0, t1 = min(p[1] for p in points), max(p[1] for p in points)
    bright, faint = min(p[2] for p in points), max(p[2] for p in points)
    span_t, span_m = max(t1 - t0, 1e-6), max(faint - bright, 0.1)
    by_band: dict[str, list[str]] = defaultdict(list)
    for band, mjd, mag in points:
        x = PAD + (mjd - t0) / span_t * (WIDTH - 2 * PAD)
        y = PAD + (mag - bright) / span_m * (HEIGHT - 2 * PAD)  # brighter is higher
        by_band[band].append(f"{x:.1f},{y:.1f}")
    return Thumbnail(tuple((band_colour(band), " ".join(xy)) for band, xy in by_band.items()))
