"""A demo night at the NTT: ESO programme targets, the night's plan, one executed block.

So that ``ivoa.obsplan`` (ObsLocTAP) of the demo archive has scheduled and performed rows for
clients and for STILTS taplint to read.
"""

from __future__ import annotations

from datetime import date

import psycopg

from soxsvo.observing.config import ObservingConfig
from soxsvo.observing.plans import obs_id, plan_night, record_execution

#: The demo night: the evening of 7 December 2026 at La Silla, two days before new moon.
DEMO_NIGHT = date(2026, 12, 7)
#: Targets of an ESO programme sharing the night: (name, ra, dec, exposure s, priority).
DEMO_ESO_TARGETS = (
    ("NGC1313-X1", 49.58, -66.49, 1800.0, 2),
    ("SN1987A", 83.87, -69.27, 1200.0, 1),
    ("Eta-Car", 161.26, -59.68, 600.0, 2),
)


def build_demo_night(conn: psycopg.Connection, config: ObservingConfig) -> int:
    """Plan :data:`DEMO_NIGHT` over the demo ESO programme and record its first block done.

    Returns the number of blocks planned.
    """
    with conn.transaction():
        conn.cursor().executemany(
            "INSERT INTO observing.eso_target (programme, name, ra, dec, exposure_s, priority) "
            "VALUES ('112.DEMO', %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", DEMO_ESO_TARGETS)
    stored = plan_night(conn, DEMO_NIGHT, config, actor="demo", reason="demo night")
    first = next(b for b in stored.plan.blocks if b.target.programme == "ESO")
    record_execution(conn, obs_id(DEMO_NIGHT, first.target), status="done", start=first.start,
                     end=first.end, actor="demo", seeing=0.9, airmass=first.airmass_start)
    return len(stored.plan.blocks)
