"""What the observing tests share: the configuration, a night, Marshall and ESO targets."""

from __future__ import annotations

from datetime import date
from functools import cache

import psycopg

from soxsvo.config import load_settings
from soxsvo.observing.config import ObservingConfig
from soxsvo.observing.plans import cached_night

#: A night near new moon (2026-12-09) in La Silla's summer: ~8 h between nautical twilights.
NIGHT = date(2026, 12, 7)


@cache
def config() -> ObservingConfig:
    """The default ``[observing]`` configuration."""
    return ObservingConfig.from_settings(load_settings({}))


def night():
    """The model of :data:`NIGHT` (computed once per test run)."""
    return cached_night(NIGHT, config())


def add_transient(conn: psycopg.Connection, name: str, ra: float, dec: float, *,
                  mag: float = 18.0, list_name: str = "followup", priority: int = 2,
                  discovery_mjd: float | None = None) -> int:
    """A Marshall transient in ``list_name`` with ``priority``; returns its id."""
    tid = conn.execute(
        "INSERT INTO marshall.transient (name, ra, dec, current_mag, discovery_mjd) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING transient_id",
        (name, ra, dec, mag, discovery_mjd)).fetchone()[0]
    conn.execute("UPDATE marshall.workflow SET list = %s, priority = %s WHERE transient_id = %s",
                 (list_name, priority, tid))
    conn.commit()
    return tid


def add_eso_target(conn: psycopg.Connection, name: str, ra: float, dec: float, *,
                   exposure: float = 1800.0, priority: int = 2) -> int:
    """An active target of ESO programme 112.TEST; returns its id."""
    tid = conn.execute(
        "INSERT INTO observing.eso_target (programme, name, ra, dec, exposure_s, priority) "
        "VALUES ('112.TEST', %s, %s, %s, %s, %s) RETURNING eso_target_id",
        (name, ra, dec, exposure, priority)).fetchone()[0]
    conn.commit()
    return tid


def seed_sky(conn: psycopg.Connection) -> dict[str, int]:
    """A follow-up list and ESO targets well placed in December (RA 0-9 h, south)."""
    ids = {}
    for i, (ra, dec) in enumerate([(30, -30), (60, -20), (90, -45), (120, -10), (15, -60)]):
        ids[f"SN2026f{i}"] = add_transient(conn, f"SN2026f{i}", ra, dec, mag=17 + i * 0.5,
                                           priority=1 + i % 3)
    for i, (ra, dec) in enumerate([(45, -35), (100, -25), (130, -40)]):
        ids[f"ESO-{i}"] = add_eso_target(conn, f"ESO-{i}", ra, dec)
    return ids
