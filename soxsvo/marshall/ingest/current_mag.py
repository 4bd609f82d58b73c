"""The current magnitude: an estimate of a transient's present brightness from its photometry.

Method (one SQL statement for all transients a batch touched):

1. Detections are measurements that are not upper limits, with a positive flux and, where the
   error is known, a signal-to-noise of at least 3 (forced photometry below that is noise).
2. The latest detection fixes the date and the band. The detections in that band within
   ``window`` days before it (default 1: the same night) are averaged, weighted by inverse
   variance (equally where errors are missing), and the mean flux becomes an AB magnitude.
3. If a non-detection *after* that date reaches deeper than the estimate (its limiting flux is
   below the mean flux), the object has faded below it: the current magnitude becomes the
   deepest such limit, dated and banded by it (an upper bound on the brightness, which is what
   sorting by brightness and auto-archiving of faded objects need).

The transient's ``discovery_mjd`` (first detection) and ``last_detection_mjd`` are kept current
in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

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
), faded AS (
    SELECT DISTINCT ON (p.transient_id) p.transient_id, p.band, p.mjd, p.flux_ujy
    FROM marshall.photometry p JOIN estimate e USING (transient_id)
    WHERE p.upper_limit AND p.mjd > e.mjd AND p.flux_ujy > 0 AND p.flux_ujy < e.flux
    ORDER BY p.transient_id, p.flux_ujy, p.mjd DESC
)
UPDATE marshall.transient t SET
    current_mag = 23.9 - 2.5 * log(coalesce(f.flux_ujy, e.flux)),
    current_mag_mjd = coalesce(f.mjd, e.mjd),
    current_mag_band = coalesce(f.band, e.band),
    last_detection_mjd = e.mjd,
    discovery_mjd = least(t.discovery_mjd, s.mjd),
    discovery_survey = CASE WHEN t.discovery_mjd IS NULL OR s.mjd < t.discovery_mjd
                            THEN s.survey ELSE t.discovery_survey END,
    updated_at = now()
FROM estimate e JOIN first s USING (transient_id) LEFT JOIN faded f USING (transient_id)
WHERE t.transient_id = e.transient_id
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
        Transients updated (those with at least one detection).
    """
    if not transient_ids:
        return 0
    return conn.execute(_UPDATE, {"ids": list(transient_ids), "window": window_days}).rowcount
