"""The current magnitude: an estimate of a transient's present brightness from its photometry.

Method (one SQL statement for all transients a batch touched):

1. Detections are measurements that are not upper limits, with a positive flux and, where the
   error is known, a signal-to-noise of at least 3 (forced photometry below that is noise).
2. The latest detection fixes the date and the band. The detections in that band within
   ``window`` days before it (default 1: the same night) are averaged, weighted by inverse
   variance (equally where errors are missing), and the mean flux becomes an AB magnitude.
3. An upper limit is never a magnitude: the latest non-detection is kept beside it
   (``last_limit_mag``, ``_mjd``, ``_band``) and shown as a limit ("> 21.2 r, 1.3 d ago").
   Whether the object has faded below its current magnitude is read from the two together
   (:data:`FADED_MAG_SQL`).

The transient's ``discovery_mjd`` (first detection) and ``last_detection_mjd`` are kept current
in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

#: The magnitude a transient has at most now, for the rules: its current magnitude, or the
#: latest non-detection when that came after the latest detection and reached deeper (the
#: object faded below it). ``t`` is marshall.transient.
FADED_MAG_SQL = ("CASE WHEN t.last_limit_mjd > t.last_detection_mjd "
                 "AND t.last_limit_mag > t.current_mag THEN t.last_limit_mag "
                 "ELSE t.current_mag END")

_UPDATE = """
WITH touched AS (
    SELECT unnest(%(ids)s::bigint[]) AS transient_id
), detections AS (
    SELECT p.transient_id, p.survey, p.band, p.mjd, p.flux_ujy,
           CASE WHEN p.flux_err_ujy > 0 THEN 1.0 / (p.flux_err_ujy * p.flux_err_ujy)
                ELSE 1.0 END AS weight
    FROM marshall.photometry p JOIN touched USING (transient_id)
    WHERE NOT p.upper_limit AND p.flux_ujy > 0
      AND (p.flux_err_ujy IS NULL OR p.flux_ujy >= 3 * p.flux_err_ujy)
), latest AS (
    SELECT DISTINCT ON (transient_id) transient_id, band, mjd, survey
    FROM detections ORDER BY transient_id, mjd DESC, band
), first AS (
    SELECT DISTINCT ON (transient_id) transient_id, mjd, survey
    FROM detections ORDER BY transient_id, mjd, band
), estimate AS (
    SELECT l.transient_id, l.band, l.mjd,
           sum(d.weight * d.flux_ujy) / sum(d.weight) AS flux
    FROM latest l JOIN detections d
      ON d.transient_id = l.transient_id AND d.band = l.band
     AND d.mjd BETWEEN l.mjd - %(window)s AND l.mjd
    GROUP BY l.transient_id, l.band, l.mjd
), limits AS (
    SELECT DISTINCT ON (p.transient_id) p.transient_id, p.band, p.mjd, p.flux_ujy
    FROM marshall.photometry p JOIN touched USING (transient_id)
    WHERE p.upper_limit AND p.flux_ujy > 0
    ORDER BY p.transient_id, p.mjd DESC, p.flux_ujy
)
UPDATE marshall.transient t SET
    current_mag = coalesce(23.9 - 2.5 * log(e.flux), t.current_mag),
    current_mag_mjd = coalesce(e.mjd, t.current_mag_mjd),
    current_mag_band = coalesce(e.band, t.current_mag_band),
    last_detection_mjd = coalesce(e.mjd, t.last_detection_mjd),
    last_limit_mag = coalesce(23.9 - 2.5 * log(l.flux_ujy), t.last_limit_mag),
    last_limit_mjd = coalesce(l.mjd, t.last_limit_mjd),
    last_limit_band = coalesce(l.band, t.last_limit_band),
    discovery_mjd = least(t.discovery_mjd, s.mjd),
    discovery_survey = CASE WHEN s.mjd IS NOT NULL
                             AND (t.discovery_mjd IS NULL OR s.mjd < t.discovery_mjd)
                            THEN s.survey ELSE t.discovery_survey END,
    updated_at = now()
FROM touched x LEFT JOIN estimate e USING (transient_id) LEFT JOIN first s USING (transient_id)
     LEFT JOIN limits l USING (transient_id)
WHERE t.transient_id = x.transient_id
  AND (e.transient_id IS NOT NULL OR l.transient_id IS NOT NULL)
"""


def update_current_magnitudes(conn: psycopg.Connection, transient_ids: Sequence[int],
                              window_days: float = 1.0) -> int:
    """Recompute the current magnitude (and discovery / last detection dates) of transients.

    Parameters
    ----------
    conn : psycopg.Connection
    transient_ids : sequence of int
        Transients whose photometry changed.
    window_days : float
        Detections this long before the latest one are averaged with it.

    Returns
    -------
    int
        Transients updated (those with at least one detection or non-detection).
    """
    if not transient_ids:
        return 0
    return conn.execute(_UPDATE, {"ids": list(transient_ids), "window": window_days}).rowcount
