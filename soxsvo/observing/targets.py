"""What a night is planned from: Marshall targets, ESO programme targets, fixed blocks, ToOs."""

from __future__ import annotations

from datetime import datetime, timedelta

import astropy.units as u
import numpy as np
import psycopg
from astropy.time import Time
from mocpy import MOC

from soxsvo.errors import NotFoundError
from soxsvo.observing.config import ObservingConfig, PlanningError
from soxsvo.observing.exposure import exposure_time
from soxsvo.observing.night import NightModel
from soxsvo.observing.scheduler import CALIBRATION, ESO, GTO, Target

#: Marshall lists planned, and how the reason names them.
PLANNED_LISTS = {"followup": "follow-up list", "classification": "classification list"}
#: Days around an event's trigger a transient must be discovered in to be its candidate.
_CANDIDATE_DAYS_BEFORE, _CANDIDATE_DAYS_AFTER = 1.0, 14.0


def _exposure(mag: float | None, snr: float | None, config: ObservingConfig,
              model: NightModel) -> float:
    seconds = exposure_time(config.reference_mag if mag is None else mag,
                            snr or config.default_snr, config, seeing=config.default_seeing,
                            moon_illumination=model.moon_illumination)
    return float(np.clip(seconds, config.min_exposure, config.max_exposure))


def marshall_targets(conn: psycopg.Connection, model: NightModel,
                     config: ObservingConfig) -> list[Target]:
    """Transients of the follow-up and classification lists, best priority first.

    Skipped: priorities below ``lowest_priority`` and targets observed more recently than
    their cadence asks.
    """
    rows = conn.execute(
        """SELECT t.transient_id, t.name, t.ra, t.dec, t.current_mag, w.list, w.priority,
                  r.exposure_s, r.snr, r.cadence_days, r.window_start, r.window_end,
                  coalesce(r.max_airmass, 2.0), r.min_moon_distance,
                  (SELECT max(x.end_at) FROM observing.execution x
                   WHERE x.transient_id = t.transient_id AND x.status = 'done')
           FROM marshall.transient t JOIN marshall.workflow w USING (transient_id)
           LEFT JOIN observing.request r USING (transient_id)
           WHERE w.list = ANY(%s) AND w.priority <= %s
           ORDER BY w.priority, w.list DESC, t.transient_id""",
        (list(PLANNED_LISTS), config.lowest_priority)).fetchall()
    targets = []
    for (tid, name, ra, dec, mag, lst, priority, exposure, snr, cadence, w0, w1, airmass,
         moon, last_done) in rows:
        if cadence and last_done and model.start - last_done < timedelta(days=cadence) \
                - timedelta(hours=12):
            continue
        targets.append(Target(
            key=f"transient-{tid}", name=name, ra=ra, dec=dec, programme=GTO,
            priority=priority, exposure=exposure or _exposure(mag, snr, config, model),
            source=PLANNED_LISTS[lst], max_airmass=airmass, min_moon_distance=moon,
            window=(w0, w1) if w0 and w1 else None, transient_id=tid, mag=mag))
    return targets


def eso_targets(conn: psycopg.Connection) -> list[Target]:
    """Active targets of the ESO programmes, best priority first."""
    rows = conn.execute(
        "SELECT eso_target_id, programme, name, ra, dec, exposure_s, priority, max_airmass "
        "FROM observing.eso_target WHERE active ORDER BY priority, eso_target_id").fetchall()
    return [Target(key=f"eso-{tid}", name=name, ra=ra, dec=dec, programme=ESO,
                   priority=priority, exposure=exposure, source=f"ESO programme {programme}",
                   max_airmass=airmass, eso_target_id=tid)
            for tid, programme, name, ra, dec, exposure, priority, airmass in rows]


def fixed_targets(config: ObservingConfig) -> list[Target]:
    """The configured standards, placed at the start of the night."""
    return [Target(key=f"fixed-{b.name}", name=b.name, ra=b.ra, dec=b.dec,
                   programme=CALIBRATION, priority=0, exposure=b.minutes * 60,
                   source=f"{b.kind} star", at_start=True)
            for b in config.fixed_blocks]


def too_targets(conn: psycopg.Connection, name: str, model: NightModel,
                config: ObservingConfig) -> list[Target]:
    """ToO targets named by a transient (itself) or an event (its candidates).

    An event's candidates are the transients inside its newest sky map's 90% credible region
    (or its error circle) discovered from a day before its trigger to two weeks after.
    """
    row = conn.execute("SELECT transient_id, name, ra, dec, current_mag FROM marshall.transient "
                       "WHERE name = %s OR transient_id = (SELECT transient_id FROM "
                       "marshall.alias WHERE name = %s)", (name, name)).fetchone()
    if row is not None:
        return [_too(row, f"ToO {row[1]}", config, model)]
    event = conn.execute(
        "SELECT event_id, name, trigger_time, ra, dec, error_radius_deg, retracted "
        "FROM marshall.event WHERE name = %s", (name,)).fetchone()
    if event is None:
        raise NotFoundError(f"no transient or event called {name!r}")
    event_id, event_name, trigger, ra, dec, radius, retracted = event
    if retracted:
        raise PlanningError(f"event {event_name} was retracted: no ToO is planned for it")
    candidates = _event_candidates(conn, event_id, trigger, ra, dec, radius)
    if not candidates:
        raise PlanningError(f"event {event_name} has no candidate transient in its "
                            "localisation yet")
    return [_too(c, f"ToO {event_name} candidate", config, model) for c in candidates]


def _too(row: tuple, source: str, config: ObservingConfig, model: NightModel) -> Target:
    tid, name, ra, dec, mag = row
    return Target(key=f"transient-{tid}", name=name, ra=ra, dec=dec, programme=GTO, priority=0,
                  exposure=_exposure(mag, None, config, model), source=source, too=True,
                  transient_id=tid)


def _event_candidates(conn: psycopg.Connection, event_id: int, trigger: datetime | None,
                      ra: float | None, dec: float | None, radius: float | None) -> list[tuple]:
    moc_text = conn.execute(
        "SELECT s.moc90 FROM marshall.event_skymap s JOIN marshall.event_notice n "
        "USING (notice_id) WHERE n.event_id = %s ORDER BY n.issued_at DESC NULLS LAST, "
        "n.ingested_at DESC LIMIT 1", (event_id,)).fetchone()
    if moc_text is None and (ra is None or not radius):
        raise PlanningError("the event's notices carry neither a sky map nor an error circle: "
                            "there is no localisation to find candidates in")
    clauses, params = [], []
    if trigger is not None:
        mjd = Time(trigger).mjd
        clauses.append("discovery_mjd BETWEEN %s AND %s")
        params += [mjd - _CANDIDATE_DAYS_BEFORE, mjd + _CANDIDATE_DAYS_AFTER]
    if moc_text is None:
        clauses.append("q3c_radial_query(ra, dec, %s, %s, %s)")
        params += [ra, dec, radius]
    where = " AND ".join(clauses) or "true"
    rows = conn.execute(f"SELECT transient_id, name, ra, dec, current_mag FROM "
                        f"marshall.transient WHERE {where} ORDER BY transient_id",
                        params).fetchall()
    if moc_text is None or not rows:
        return rows
    moc = MOC.from_string(moc_text[0], format="ascii")
    inside = moc.contains_lonlat(np.array([r[2] for r in rows]) * u.deg,
                                 np.array([r[3] for r in rows]) * u.deg)
    return [r for r, keep in zip(rows, inside, strict=True) if keep]

