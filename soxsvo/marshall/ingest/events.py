"""Store GCN events, their notices and LVK sky maps."""

from __future__ import annotations

import math

import psycopg
from psycopg.types.json import Jsonb

from soxsvo.marshall.ingest.base import AlertFormatError
from soxsvo.marshall.ingest.model import Event, SkyMap
from soxsvo.moc.skymap import SkyMapError, credible_region

_FULL_SKY_DEG2 = 4 * math.pi * (180.0 / math.pi) ** 2


def _credible90(skymap: SkyMap, origin: str) -> tuple[float, str]:
    try:
        moc = credible_region(skymap.uniq, skymap.probdensity, 0.9)
    except SkyMapError as exc:
        raise AlertFormatError(origin, f"sky map: {exc}") from None
    return moc.sky_fraction * _FULL_SKY_DEG2, moc.to_string(format="ascii")


def prepare_skymaps(events: list[Event]) -> dict[str, tuple[float, str]]:
    """The 90% credible area and MOC of every sky map (computed before any write, so that a
    bad map rejects its file before anything is stored)."""
    return {e.notice_id: _credible90(e.skymap, e.origin) for e in events if e.skymap}


def store_events(conn: psycopg.Connection, events: list[Event],
                 credible: dict[str, tuple[float, str]]) -> int:
    """Insert new notices, creating or updating their events; returns notices stored.

    A notice already stored (same ``notice_id``) changes nothing. A later notice updates the
    event's position, error and properties; a retraction marks it retracted.
    """
    stored = 0
    # The same notice often arrives twice at once (a broker and a listener): holding a lock
    # on its id until commit makes the second wait and then find it stored, where both used
    # to insert it and one failed with a unique violation. Locks are taken in one order, so
    # two batches sharing notices cannot deadlock.
    for notice_id in sorted({event.notice_id for event in events}):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('soxsvo_event_notice'), "
                     "hashtext(%s))", (notice_id,))
    for event in events:
        known = conn.execute("SELECT 1 FROM marshall.event_notice WHERE notice_id = %s",
                             (event.notice_id,)).fetchone()
        if known:
            continue
        event_id = conn.execute(
            "INSERT INTO marshall.event AS e (name, kind, mission, trigger_time, ra, dec, "
            "error_radius_deg, retracted, properties) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET "
            "trigger_time = coalesce(EXCLUDED.trigger_time, e.trigger_time), "
            "ra = coalesce(EXCLUDED.ra, e.ra), dec = coalesce(EXCLUDED.dec, e.dec), "
            "error_radius_deg = coalesce(EXCLUDED.error_radius_deg, e.error_radius_deg), "
            "retracted = e.retracted OR EXCLUDED.retracted, "
            "properties = e.properties || EXCLUDED.properties, updated_at = now() "
            "RETURNING event_id",
            (event.name, event.kind, event.mission, event.trigger_time, event.ra, event.dec,
             event.error_radius_deg, event.retracted, Jsonb(event.properties))).fetchone()[0]
        conn.execute(
            "INSERT INTO marshall.event_notice (notice_id, event_id, notice_type, issued_at, "
            "payload) VALUES (%s, %s, %s, %s, %s)",
            (event.notice_id, event_id, event.notice_type, event.issued_at,
             Jsonb(event.payload)))
        if event.skymap is not None:
            area, moc = credible[event.notice_id]
            conn.execute(
                "INSERT INTO marshall.event_skymap (notice_id, uniq, probdensity, area90_deg2, "
                "moc90) VALUES (%s, %s, %s, %s, %s)",
                (event.notice_id, event.skymap.uniq, event.skymap.probdensity, area, moc))
        stored += 1
    return stored
