"""Event pages: a GCN/LVK event with its notices in order and its candidate counterparts.

Candidates are the transients inside the event's region — the 90% credible region of its
newest sky map (:func:`soxsvo.moc.events.event_region`), else its error circle — whose first
detection came after the trigger and at most ``window_days`` after it: a transient seen before
the trigger cannot be its counterpart. They are ranked by time since the trigger.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from soxsvo.marshall.workflow import WorkflowError
from soxsvo.moc.events import event_region
from soxsvo.moc.query import moc_ranges

#: Credible level of the region candidates are taken from.
CANDIDATE_CREDIBLE = 0.9
#: Most candidates one page lists.
MAX_CANDIDATES = 500

_CANDIDATE_COLUMNS = (
    "t.transient_id, t.name, t.ra, t.dec, t.discovery_mjd, t.discovery_survey, "
    "t.current_mag, t.current_mag_band, t.current_mag_mjd, t.drb, t.rb, t.reliability, "
    "t.discovery_mjd - %(trigger)s AS days_after_trigger")


def _rows(conn: psycopg.Connection, query: str, params: Any) -> list[dict[str, Any]]:
    return conn.cursor(row_factory=dict_row).execute(query, params).fetchall()


def list_events(conn: psycopg.Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Events, newest trigger first, with their number of notices."""
    return _rows(conn, "SELECT e.name, e.kind, e.mission, e.trigger_time, e.retracted, "
                 "(SELECT count(*) FROM marshall.event_notice n WHERE n.event_id = e.event_id) "
                 "AS notices FROM marshall.event e "
                 "ORDER BY e.trigger_time DESC NULLS LAST, e.event_id DESC LIMIT %s", (limit,))


def event_detail(conn: psycopg.Connection, name: str, window_days: float) -> dict[str, Any]:
    """The event, its notices (oldest first) and its candidates.

    Parameters
    ----------
    conn : psycopg.Connection
        In the caller's reader transaction (candidates are the transients it may see).
    name : str
    window_days : float
        Candidates were first detected at most this long after the trigger.

    Raises
    ------
    WorkflowError
        404 when there is no such event.
    """
    found = _rows(conn, "SELECT event_id, name, kind, mission, trigger_time, ra, dec, "
                  "error_radius_deg, retracted, properties, "
                  "extract(epoch FROM trigger_time) / 86400.0 + 40587.0 AS trigger_mjd "
                  "FROM marshall.event WHERE name = %s", (name,))
    if not found:
        raise WorkflowError(f"no event named {name!r}", 404)
    event = found[0]
    event["notices"] = _rows(
        conn, "SELECT n.notice_id, n.notice_type, n.issued_at, n.ingested_at, "
        "s.area90_deg2 FROM marshall.event_notice n "
        "LEFT JOIN marshall.event_skymap s USING (notice_id) WHERE n.event_id = %s "
        "ORDER BY n.issued_at NULLS LAST, n.ingested_at", (event["event_id"],))
    event["has_skymap"] = any(n["area90_deg2"] is not None for n in event["notices"])
    event["candidates"] = candidates(conn, event, window_days)
    return event


def candidates(conn: psycopg.Connection, event: dict[str, Any],
               window_days: float) -> list[dict[str, Any]]:
    """Transients in the event's region first detected within the window after its trigger
    (none when the trigger time is unknown)."""
    trigger = event["trigger_mjd"]
    if trigger is None:
        return []
    params = {"trigger": float(trigger), "until": float(trigger) + window_days,
              "limit": MAX_CANDIDATES}
    when = ("t.discovery_mjd >= %(trigger)s AND t.discovery_mjd <= %(until)s "
            "ORDER BY t.discovery_mjd, t.transient_id LIMIT %(limit)s")
    if event["has_skymap"]:
        lo, hi = moc_ranges(event_region(conn, event["name"], CANDIDATE_CREDIBLE))
        # The same range join as MOC queries (soxsvo.moc.query), on the hpx29 index.
        return _rows(conn, f"SELECT {_CANDIDATE_COLUMNS} FROM unnest(%(lo)s::bigint[], "
                     "%(hi)s::bigint[]) AS r(lo, hi) JOIN marshall.transient t "
                     "ON soxs.hpx29(t.ra, t.dec) >= r.lo AND soxs.hpx29(t.ra, t.dec) < r.hi "
                     f"WHERE {when}", {**params, "lo": lo, "hi": hi})
    if event["ra"] is None or event["error_radius_deg"] is None:
        return []
    return _rows(conn, f"SELECT {_CANDIDATE_COLUMNS} FROM marshall.transient t "
                 "WHERE q3c_radial_query(t.ra, t.dec, %(ra)s, %(dec)s, %(radius)s) "
                 f"AND {when}", {**params, "ra": event["ra"], "dec": event["dec"],
                                 "radius": event["error_radius_deg"]})
