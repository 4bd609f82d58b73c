"""Associate a batch of detections with transients, set-wise, inside one transaction.

The batch is copied into temporary staging tables; each step below is one SQL statement over
the whole batch (no per-alert round trips):

1. drop alerts already ingested (``marshall.alert``) and repeats within the batch;
2. join a known transient by name (the survey's object name, TNS name or internal names are
   aliases), else by position: the nearest transient within the radius (q3c);
3. for detections still alone (never TNS reports), create transients: a detection with no
   earlier lone detection of the same name or within the radius leads, the others join the
   nearest leader; repeated until none is left (chains of nearby detections);
4. TNS names become primary names (the previous name stays an alias); aliases, photometry
   and the alert records are inserted, each ``ON CONFLICT DO NOTHING``.

Concurrent ingests serialise on one transaction-level advisory lock: two
consumers seeing the same new object cannot both create it, the second finds the first's
transient. The lock is taken after staging and covers the association, recording and
context steps of a batch; reading files and staging run beside another consumer's batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from astropy import units as u
from astropy.coordinates import Angle

from soxsvo.marshall.ingest.model import Detection, Scores

#: Key of the advisory lock that serialises association (any constant unique to soxsvo).
INGEST_LOCK_KEY = 0x5058_A1E7
# Rounds of leader selection before giving up on a pathological chain of detections.
_MAX_ROUNDS = 50
_NO_SCORES = Scores()

_STAGE_DDL = """
CREATE TEMP TABLE ingest_stage (
    row_no int PRIMARY KEY, source text, alert_id text, survey text, object_name text,
    ra double precision, dec double precision, tns_name text, classification text,
    redshift double precision, creates boolean, origin text, coord_name text,
    mjd double precision, rb real, drb real, sgscore1 real, distpsnr1 real, reliability real,
    positive boolean, flags text[],
    transient_id bigint, created boolean NOT NULL DEFAULT false
) ON COMMIT DROP;
CREATE TEMP TABLE ingest_stage_stamp (
    row_no int, kind text, file_name text, data bytea
) ON COMMIT DROP;
CREATE TEMP TABLE ingest_stage_alias (row_no int, name text, survey text) ON COMMIT DROP;
CREATE TEMP TABLE ingest_stage_phot (
    row_no int, survey text, band text, mjd double precision, flux_ujy double precision,
    flux_err_ujy double precision, upper_limit boolean, orig_value double precision,
    orig_error double precision, orig_unit text, source_id text
) ON COMMIT DROP;
"""


@dataclass
class AssociationResult:
    """What one batch did."""

    alerts: int = 0
    duplicates: int = 0
    created: int = 0
    joined: int = 0
    unmatched_reports: int = 0
    photometry: int = 0
    new_transient_ids: tuple[int, ...] = ()
    touched_transient_ids: tuple[int, ...] = ()


def coordinate_name(ra: float, dec: float) -> str:
    """A position-based name for a transient no survey has named: ``SOXS Jhhmmss.ss+ddmmss.s``."""
    ra_text = Angle(ra, u.deg).to_string(unit=u.hourangle, sep="", precision=2, pad=True)
    dec_text = Angle(dec, u.deg).to_string(unit=u.deg, sep="", precision=1, pad=True,
                                           alwayssign=True)
    return f"SOXS J{ra_text}{dec_text}"


def _stage(conn: psycopg.Connection, detections: list[Detection]) -> None:
    conn.execute(_STAGE_DDL)
    with conn.cursor() as cur:
        with cur.copy("COPY ingest_stage (row_no, source, alert_id, survey, object_name, ra, "
                      "dec, tns_name, classification, redshift, creates, origin, coord_name, "
                      "mjd, rb, drb, sgscore1, distpsnr1, reliability, positive, flags) "
                      "FROM STDIN") as copy:
            for row_no, d in enumerate(detections):
                s = d.scores or _NO_SCORES
                copy.write_row((row_no, d.source, d.alert_id, d.survey, d.object_name, d.ra,
                                d.dec, d.tns_name, d.classification, d.redshift,
                                d.creates_objects, d.origin,
                                None if (d.object_name or d.tns_name) else
                                coordinate_name(d.ra, d.dec),
                                s.mjd, s.rb, s.drb, s.sgscore1, s.distpsnr1, s.reliability,
                                s.positive, list(s.flags)))
        with cur.copy("COPY ingest_stage_stamp FROM STDIN") as copy:
            for row_no, d in enumerate(detections):
                for stamp in d.stamps:
                    copy.write_row((row_no, stamp.kind, stamp.file_name, stamp.data))
        with cur.copy("COPY ingest_stage_alias FROM STDIN") as copy:
            for row_no, d in enumerate(detections):
                for name, survey in d.aliases:
                    copy.write_row((row_no, name, survey))
        with cur.copy("COPY ingest_stage_phot FROM STDIN") as copy:
            for row_no, d in enumerate(detections):
                for p in d.photometry:
                    copy.write_row((row_no, d.survey, p.band, p.mjd, p.flux_ujy,
                                    p.flux_err_ujy, p.upper_limit, p.orig_value, p.orig_error,
                                    p.orig_unit, p.source_id))
    conn.execute("CREATE INDEX ON ingest_stage (q3c_ang2ipix(ra, dec))")
    conn.execute("CREATE INDEX ON ingest_stage (object_name)")
    conn.execute("ANALYZE ingest_stage")


def _drop_known_alerts(conn: psycopg.Connection) -> int:
    dropped = conn.execute(
        "DELETE FROM ingest_stage s USING marshall.alert a "
        "WHERE a.source = s.source AND a.alert_id = s.alert_id").rowcount
    dropped += conn.execute(
        "DELETE FROM ingest_stage s USING ingest_stage e "
        "WHERE e.source = s.source AND e.alert_id = s.alert_id AND e.row_no < s.row_no"
    ).rowcount
    return dropped


def _join_known(conn: psycopg.Connection, radius_deg: float) -> None:
    # Correlated lookups, not joins: with a million names a hash join would read every one;
    # these are a few thousand unique-index probes.
    conn.execute(
        "UPDATE ingest_stage s SET transient_id = coalesce("
        "  (SELECT a.transient_id FROM marshall.alias a WHERE a.name = s.object_name),"
        "  (SELECT t.transient_id FROM marshall.transient t WHERE t.name = s.object_name),"
        "  (SELECT a.transient_id FROM marshall.alias a WHERE a.name = s.tns_name),"
        "  (SELECT t.transient_id FROM marshall.transient t WHERE t.name = s.tns_name),"
        "  (SELECT min(a.transient_id) FROM ingest_stage_alias x"
        "   JOIN marshall.alias a ON a.name = x.name WHERE x.row_no = s.row_no))")
    # Nearest transient within the radius: q3c_join finds the candidates through the index,
    # q3c_dist orders them (two objects 2" apart each keep their own detections).
    conn.execute(
        "UPDATE ingest_stage s SET transient_id = ("
        "  SELECT t.transient_id FROM marshall.transient t"
        "  WHERE q3c_join(s.ra, s.dec, t.ra, t.dec, %(r)s)"
        "  ORDER BY q3c_dist(s.ra, s.dec, t.ra, t.dec), t.transient_id LIMIT 1) "
        "WHERE s.transient_id IS NULL", {"r": radius_deg})


_LEADERS = """
WITH leaders AS (
    SELECT s.* FROM ingest_stage s
    WHERE s.transient_id IS NULL AND s.creates
      AND NOT EXISTS (SELECT 1 FROM ingest_stage p
                      WHERE p.transient_id IS NULL AND p.creates AND p.row_no + 0 < s.row_no
                        AND q3c_join(s.ra, s.dec, p.ra, p.dec, %(r)s))
      AND NOT EXISTS (SELECT 1 FROM ingest_stage p
                      WHERE p.transient_id IS NULL AND p.creates AND p.row_no < s.row_no
                        AND p.object_name = s.object_name)
), created AS (
    INSERT INTO marshall.transient (name, ra, dec, discovery_survey)
    SELECT coalesce(tns_name, object_name, coord_name), ra, dec, survey FROM leaders
    ON CONFLICT (name) DO NOTHING
    RETURNING transient_id, name
)
UPDATE ingest_stage s SET transient_id = c.transient_id, created = true
FROM leaders l JOIN created c ON c.name = coalesce(l.tns_name, l.object_name, l.coord_name)
WHERE s.row_no = l.row_no
"""

_FOLLOWERS = """
UPDATE ingest_stage s SET transient_id = coalesce(
    (SELECT l.transient_id FROM ingest_stage l
     WHERE l.created AND l.object_name = s.object_name ORDER BY l.row_no LIMIT 1),
    (SELECT l.transient_id FROM ingest_stage l
     WHERE l.created AND q3c_join(s.ra, s.dec, l.ra, l.dec, %(r)s)
     ORDER BY q3c_dist(s.ra, s.dec, l.ra, l.dec), l.row_no LIMIT 1))
WHERE s.transient_id IS NULL AND s.creates
"""


def _create_new(conn: psycopg.Connection, radius_deg: float) -> None:
    for _ in range(_MAX_ROUNDS):
        lone = conn.execute(
            "SELECT count(*) FROM ingest_stage WHERE transient_id IS NULL AND creates"
        ).fetchone()[0]
        if not lone:
            return
        conn.execute(_LEADERS, {"r": radius_deg})
        conn.execute(_FOLLOWERS, {"r": radius_deg})
    raise RuntimeError("association did not converge: a chain of more than "
                       f"{_MAX_ROUNDS} nearby new detections")


def _adopt_tns_names(conn: psycopg.Connection) -> None:
    # The old primary name stays findable as an alias; a TNS name that already names another
    # transient is left alone (TNS merged or renamed objects need a human).
    conn.execute(
        "INSERT INTO marshall.alias (name, transient_id, survey) "
        "SELECT t.name, t.transient_id, coalesce(t.discovery_survey, 'SOXS') "
        "FROM marshall.transient t JOIN ingest_stage s USING (transient_id) "
        "WHERE s.tns_name IS NOT NULL AND t.name <> s.tns_name ON CONFLICT (name) DO NOTHING")
    conn.execute(
        "UPDATE marshall.transient t SET name = n.tns_name, updated_at = now() FROM ("
        "  SELECT DISTINCT ON (transient_id) transient_id, tns_name FROM ingest_stage"
        "  WHERE tns_name IS NOT NULL AND transient_id IS NOT NULL"
        "  ORDER BY transient_id, row_no DESC) n "
        "WHERE t.transient_id = n.transient_id AND t.name <> n.tns_name"
        "  AND NOT EXISTS (SELECT 1 FROM marshall.transient o WHERE o.name = n.tns_name)")
    conn.execute(
        "UPDATE marshall.transient t SET classification = coalesce(t.classification, "
        "n.classification), redshift = coalesce(t.redshift, n.redshift) FROM ("
        "  SELECT DISTINCT ON (transient_id) transient_id, classification, redshift"
        "  FROM ingest_stage WHERE source = 'tns' AND transient_id IS NOT NULL"
        "  ORDER BY transient_id, row_no DESC) n "
        "WHERE t.transient_id = n.transient_id"
        "  AND (t.classification IS NULL OR t.redshift IS NULL)")


def _record(conn: psycopg.Connection) -> int:
    conn.execute(
        "INSERT INTO marshall.alias (name, transient_id, survey) "
        "SELECT name, transient_id, survey FROM ("
        "  SELECT object_name AS name, transient_id, survey, row_no FROM ingest_stage"
        "  WHERE object_name IS NOT NULL AND source <> 'tns'"
        "  UNION ALL SELECT tns_name, transient_id, 'TNS', row_no FROM ingest_stage"
        "  WHERE tns_name IS NOT NULL"
        "  UNION ALL SELECT coord_name, transient_id, 'SOXS', row_no FROM ingest_stage"
        "  WHERE coord_name IS NOT NULL AND created"
        "  UNION ALL SELECT x.name, s.transient_id, x.survey, s.row_no"
        "  FROM ingest_stage_alias x JOIN ingest_stage s USING (row_no)) names "
        "WHERE transient_id IS NOT NULL ORDER BY row_no ON CONFLICT (name) DO NOTHING")
    photometry = conn.execute(
        "INSERT INTO marshall.photometry (transient_id, survey, band, mjd, flux_ujy, "
        "flux_err_ujy, upper_limit, orig_value, orig_error, orig_unit, source_id) "
        "SELECT s.transient_id, p.survey, p.band, p.mjd, p.flux_ujy, p.flux_err_ujy, "
        "p.upper_limit, p.orig_value, p.orig_error, p.orig_unit, p.source_id "
        "FROM ingest_stage_phot p JOIN ingest_stage s USING (row_no) "
        "WHERE s.transient_id IS NOT NULL ON CONFLICT (survey, source_id) DO NOTHING"
    ).rowcount
    conn.execute(
        "INSERT INTO marshall.alert (source, alert_id, transient_id, origin, mjd, rb, drb, "
        "sgscore1, distpsnr1, reliability, positive, flags) "
        "SELECT source, alert_id, transient_id, origin, mjd, rb, drb, sgscore1, distpsnr1, "
        "reliability, positive, coalesce(flags, '{}') FROM ingest_stage "
        "WHERE transient_id IS NOT NULL ON CONFLICT DO NOTHING")
    conn.execute(
        "INSERT INTO marshall.stamp (transient_id, survey, alert_id, kind, mjd, file_name, "
        "data) SELECT s.transient_id, s.survey, s.alert_id, x.kind, s.mjd, x.file_name, x.data "
        "FROM ingest_stage_stamp x JOIN ingest_stage s USING (row_no) "
        "WHERE s.transient_id IS NOT NULL ON CONFLICT DO NOTHING")
    return photometry


def _update_scores(conn: psycopg.Connection) -> None:
    # The list shows (and sorts on) the scores of each transient's newest scored alert; an
    # older alert ingested late does not replace them.
    conn.execute(
        "UPDATE marshall.transient t SET score_mjd = a.mjd, rb = a.rb, drb = a.drb, "
        "sgscore1 = a.sgscore1, distpsnr1 = a.distpsnr1, reliability = a.reliability, "
        "positive = a.positive, flags = a.flags FROM ("
        "  SELECT DISTINCT ON (transient_id) transient_id, mjd, rb, drb, sgscore1, distpsnr1,"
        "  reliability, positive, flags FROM ingest_stage"
        "  WHERE transient_id IS NOT NULL AND mjd IS NOT NULL"
        "  ORDER BY transient_id, mjd DESC, row_no DESC) a "
        "WHERE t.transient_id = a.transient_id AND (t.score_mjd IS NULL OR a.mjd >= t.score_mjd)")


def associate(conn: psycopg.Connection, detections: list[Detection],
              radius_arcsec: float) -> AssociationResult:
    """Associate, create and record ``detections`` in the caller's open transaction.

    Parameters
    ----------
    conn : psycopg.Connection
        Inside a transaction the caller commits (with the context cross-match and summary
        updates that follow).
    detections : list of Detection
    radius_arcsec : float
        Association radius.
    """
    # q3c's cost estimates make the planner JIT-compile these short statements, which costs
    # far more (0.5-1 s per statement) than running them.
    conn.execute("SET LOCAL jit = off")
    radius_deg = radius_arcsec / 3600.0
    # Staging touches only this session's temporary tables: another consumer may associate
    # its batch meanwhile.
    _stage(conn, detections)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK_KEY,))
    result = AssociationResult(duplicates=_drop_known_alerts(conn))
    _join_known(conn, radius_deg)
    _create_new(conn, radius_deg)
    _adopt_tns_names(conn)
    result.photometry = _record(conn)
    _update_scores(conn)
    rows = conn.execute(
        "SELECT count(*) FILTER (WHERE transient_id IS NOT NULL),"
        " count(*) FILTER (WHERE transient_id IS NULL),"
        " count(*) FILTER (WHERE transient_id IS NOT NULL AND NOT created),"
        " array_agg(DISTINCT transient_id) FILTER (WHERE created),"
        " array_agg(DISTINCT transient_id) FILTER (WHERE transient_id IS NOT NULL)"
        " FROM ingest_stage").fetchone()
    result.alerts, result.unmatched_reports, result.joined = rows[0], rows[1], rows[2]
    result.new_transient_ids = tuple(rows[3] or ())
    result.created = len(result.new_transient_ids)
    result.touched_transient_ids = tuple(rows[4] or ())
    return result
