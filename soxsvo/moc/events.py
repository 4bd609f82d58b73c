"""The credible region of a stored GCN/LVK event: its newest sky map, read from the Marshall.

``/moc/query?event=<name>&credible=0.9`` and the Marshall's event pages both ask here, so the
two always agree on which map an event has (the newest notice that carried one; a retraction
carries none and leaves the last map in place).
"""

from __future__ import annotations

import numpy as np
import psycopg
from mocpy import MOC

from soxsvo.errors import InputError, NotFoundError
from soxsvo.moc.skymap import credible_region

#: The newest sky map of an event by name.
_NEWEST_SKYMAP = """
SELECT s.uniq, s.probdensity FROM marshall.event e
JOIN marshall.event_notice n USING (event_id) JOIN marshall.event_skymap s USING (notice_id)
WHERE e.name = %s ORDER BY n.issued_at DESC NULLS LAST, n.ingested_at DESC LIMIT 1
"""


def event_region(conn: psycopg.Connection, name: str, credible: float = 0.9) -> MOC:
    """The ``credible`` region of the event's newest stored sky map.

    Parameters
    ----------
    conn : psycopg.Connection
    name : str
        The event's name (e.g. an LVK superevent ``S261120a``).
    credible : float
        Credible level in (0, 1].

    Raises
    ------
    NotFoundError
        No event of that name.
    InputError
        The event has no sky map (a GRB or neutrino with an error circle only).
    """
    found = conn.execute(_NEWEST_SKYMAP, (name,)).fetchone()
    if found is None:
        if conn.execute("SELECT 1 FROM marshall.event WHERE name = %s", (name,)).fetchone():
            raise InputError(f"event {name} has no sky map (only an error circle): "
                             "query its position with a cone instead")
        raise NotFoundError(f"no event named {name!r}")
    uniq, density = found
    return credible_region(np.asarray(uniq, dtype=np.int64),
                           np.asarray(density, dtype=np.float64), credible)
