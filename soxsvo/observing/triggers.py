"""What a new GCN/LVK event does to tonight's plan: nothing, a proposed re-plan, or a re-plan.

Called by the interfaces after alert ingestion (``soxsvo alerts ingest``, ``POST
/api/alerts``), never from inside it: the notice is stored whatever the plan can do with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from soxsvo.errors import SoxsvoError
from soxsvo.observing.config import ObservingConfig
from soxsvo.observing.night import current_night
from soxsvo.observing.plans import replan_night


@dataclass(frozen=True)
class Reaction:
    """What was done for one event: ``action`` is ``replanned``, ``proposed`` or ``none``."""

    event: str
    action: str
    detail: str
    night: str

    def as_dict(self) -> dict[str, str]:
        """Plain data for the JSON answer."""
        return {"event": self.event, "action": self.action, "detail": self.detail,
                "night": self.night}


def events_since(conn: psycopg.Connection, since: datetime) -> list[str]:
    """Names of the events created or updated by notices ingested since ``since``."""
    rows = conn.execute("SELECT DISTINCT e.name FROM marshall.event e JOIN "
                        "marshall.event_notice n USING (event_id) WHERE n.ingested_at >= %s "
                        "ORDER BY e.name", (since,)).fetchall()
    conn.rollback()
    return [r[0] for r in rows]


def _worth_it(conn: psycopg.Connection, name: str, config: ObservingConfig) -> str | None:
    """Why the event calls for a re-plan, or None."""
    kind, retracted, bns, nsbh = conn.execute(
        "SELECT kind, retracted, (properties->'classification'->>'BNS')::float, "
        "(properties->'classification'->>'NSBH')::float FROM marshall.event WHERE name = %s",
        (name,)).fetchone()
    if retracted or kind not in config.auto_replan_kinds:
        return None
    if kind == "GW":
        p = (bns or 0.0) + (nsbh or 0.0)
        if p < config.auto_replan_min_probability:
            return None
        return f"GW event with P(BNS)+P(NSBH) = {p:.2f}"
    return f"{kind} event"


def react_to_events(conn: psycopg.Connection, names: list[str], config: ObservingConfig,
                    now: datetime) -> list[Reaction]:
    """Propose or run the re-plan of tonight for each event that calls for one.

    Parameters
    ----------
    conn : psycopg.Connection
        The archive's connection (it writes the new plan version).
    names : list of str
        Events just created or updated.
    config : ObservingConfig
        ``auto_replan`` decides: off, propose or auto.
    now : datetime
        The re-plan starts here; it decides which night is tonight.
    """
    night_date = current_night(now)
    reactions = []
    for name in names:
        why = _worth_it(conn, name, config) if config.auto_replan != "off" else None
        conn.rollback()
        if why is None:
            continue
        if config.auto_replan == "propose":
            reactions.append(Reaction(name, "proposed", f"{why}: soxsvo night replan --too "
                                      f"{name}", night_date.isoformat()))
            continue
        try:
            stored = replan_night(conn, night_date, config, actor=f"alert {name}",
                                  reason=f"{why} (automatic)", now=now, too=(name,))
        except SoxsvoError as exc:  # the notice stays stored; say why the plan did not change
            conn.rollback()
            reactions.append(Reaction(name, "none", f"{why}, but not re-planned: {exc}",
                                      night_date.isoformat()))
            continue
        reactions.append(Reaction(name, "replanned", f"{why}: version {stored.version}, "
                                  f"{len(stored.displaced)} block(s) displaced",
                                  night_date.isoformat()))
    return reactions


def proposals(conn: psycopg.Connection, night_date: date, config: ObservingConfig) -> list[dict]:
    """Events that call for a re-plan of the night and came in after its current version:
    what the night page offers to accept in one click."""
    rows = conn.execute(
        "SELECT e.name, max(x.ingested_at) FROM marshall.event e "
        "JOIN marshall.event_notice x USING (event_id) "
        "JOIN observing.night n ON n.night_date = %s "
        "JOIN observing.plan_version v ON v.night_date = n.night_date "
        "AND v.version = n.current_version "
        "WHERE x.ingested_at > v.created_at AND NOT e.retracted "
        "GROUP BY e.name ORDER BY max(x.ingested_at) DESC", (night_date,)).fetchall()
    offered = []
    for name, at in rows:
        why = _worth_it(conn, name, config)
        if why is not None:
            offered.append({"event": name, "why": why, "received": at})
    return offered
