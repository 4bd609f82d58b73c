-- An upper limit is never a magnitude. Until now current_mag became the deepest later
-- non-detection when an object had faded below its last detection; it now always is the
-- latest detection (its night's weighted mean, soxsvo.marshall.ingest.current_mag), and the
-- latest non-detection is kept beside it, to be shown as a limit ("> 21.2 r, 1.3 d ago").

ALTER TABLE marshall.transient
    ADD COLUMN last_limit_mag double precision,
    ADD COLUMN last_limit_mjd double precision,
    ADD COLUMN last_limit_band text;

UPDATE marshall.transient t SET
    last_limit_mag = 23.9 - 2.5 * log(l.flux_ujy), last_limit_mjd = l.mjd,
    last_limit_band = l.band
FROM (SELECT DISTINCT ON (transient_id) transient_id, band, mjd, flux_ujy
      FROM marshall.photometry WHERE upper_limit AND flux_ujy > 0
      ORDER BY transient_id, mjd DESC, flux_ujy) l
WHERE t.transient_id = l.transient_id;

-- Existing transients whose current magnitude was such a limit (dated after their latest
-- detection) get the latest detection back: the night's inverse-variance weighted mean in
-- its band, as the ingestion computes it (window of 1 day, the default).
UPDATE marshall.transient t SET
    current_mag = 23.9 - 2.5 * log(e.flux), current_mag_mjd = t.last_detection_mjd,
    current_mag_band = e.band
FROM (SELECT d.transient_id, d.band,
             sum(d.weight * d.flux_ujy) / sum(d.weight) AS flux
      FROM (SELECT p.transient_id, p.band, p.flux_ujy,
                   CASE WHEN p.flux_err_ujy > 0 THEN 1.0 / (p.flux_err_ujy ^ 2) ELSE 1.0 END
                       AS weight
            FROM marshall.transient x
            JOIN LATERAL (SELECT band FROM marshall.photometry q
                          WHERE q.transient_id = x.transient_id AND NOT q.upper_limit
                            AND q.mjd = x.last_detection_mjd AND q.flux_ujy > 0
                          ORDER BY band LIMIT 1) b ON true
            JOIN marshall.photometry p ON p.transient_id = x.transient_id
             AND p.band = b.band AND NOT p.upper_limit AND p.flux_ujy > 0
             AND (p.flux_err_ujy IS NULL OR p.flux_ujy >= 3 * p.flux_err_ujy)
             AND p.mjd BETWEEN x.last_detection_mjd - 1 AND x.last_detection_mjd
            WHERE x.current_mag_mjd > x.last_detection_mjd) d
      GROUP BY d.transient_id, d.band) e
WHERE t.transient_id = e.transient_id;
