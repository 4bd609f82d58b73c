"""The automatic workflow rules: wake snoozed objects, resurrect re-brightened ones, archive faded.

Run by ``soxsvo marshall rules`` (e.g. from cron every hour) through :func:`apply_rules`. Each
change is an ordinary workflow move by the actor ``rules``, so it shows in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from soxsvo.marshall.ingest.current_mag import FADED_MAG_SQL
from soxsvo.marshall.lists import WorkflowConfig
from soxsvo.marshall.magnitude import UJY_ZERO_POINT
from soxsvo.marshall.workflow import move

#: The actor the history names for automatic changes.
RULES_ACTOR = "rules"
_MJD_ZERO = datetime(1858, 11, 17, tzinfo=UTC)


def mjd_of(moment: datetime) -> float:
    """Modified Julian Date of a time-zone-aware datetime."""
    return (moment - _MJD_ZERO) / timedelta(days=1)


@dataclass
class RulesReport:
    """Transient ids each rule moved."""

    woken: list[int] = field(default_factory=list)
    resurrected: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for the command line."""
        return (f"{len(self.woken)} woken from snooze, {len(self.resurrected)} resurrected, "
                f"{len(self.archived)} archived")


def _wake_snoozed(conn, config, now, report) -> None:
    rows = conn.execute(
        "SELECT transient_id, coalesce(return_list, %s) FROM marshall.workflow "
        "WHERE list = 'snoozed' AND snoozed_until <= %s ORDER BY transient_id",
        (config.unsnooze_to, now)).fetchall()
    conn.commit()
    for transient_id, target in rows:
        move(conn, config, transient_id, target, RULES_ACTOR, now=now, enforce=False,
             action="rule:unsnooze")
        report.woken.append(transient_id)


def _resurrect(conn, config, now, report) -> None:
    rows = conn.execute(
        "SELECT w.transient_id, w.reference_mag, t.current_mag AS mag "
        "FROM marshall.workflow w JOIN marshall.transient t USING (transient_id) "
        "WHERE w.list IN ('snoozed', 'archive') AND w.reference_mag IS NOT NULL "
        "AND w.resurrections < %s ORDER BY w.transient_id",
        (config.resurrect_max_times,)).fetchall()
    conn.commit()
    for transient_id, reference, mag in rows:
        if mag is None or mag > reference - config.resurrect_brightening_mag:
            continue
        with conn.transaction():  # the move and its count together
            move(conn, config, transient_id, config.resurrect_to, RULES_ACTOR, now=now,
                 enforce=False, action="rule:resurrect",
                 detail={"reference_mag": round(reference, 3), "current_mag": round(mag, 3)})
            conn.execute("UPDATE marshall.workflow SET resurrections = resurrections + 1 "
                         "WHERE transient_id = %s", (transient_id,))
        report.resurrected.append(transient_id)


def _archive_faded(conn, config, now, report) -> None:
    since = now - timedelta(days=config.archive_after_days)
    since_mjd, now_mjd = mjd_of(since), mjd_of(now)
    # A detection brighter than the limit is a flux above the limit's flux density.
    limit_ujy = 10 ** ((UJY_ZERO_POINT - config.archive_fainter_than) / 2.5)
    rows = conn.execute(
        f"SELECT w.transient_id, {FADED_MAG_SQL} AS mag "
        "FROM marshall.workflow w JOIN marshall.transient t USING (transient_id) "
        "WHERE w.list = ANY(%s) AND w.list_since <= %s "
        "AND coalesce(t.discovery_mjd, 0) <= %s "
        "AND NOT EXISTS (SELECT 1 FROM marshall.photometry p "
        "  WHERE p.transient_id = t.transient_id AND NOT p.upper_limit "
        "  AND p.mjd BETWEEN %s AND %s AND p.flux_ujy > %s) ORDER BY w.transient_id",
        (list(config.archive_from_lists), since, since_mjd, since_mjd, now_mjd, limit_ujy),
    ).fetchall()
    conn.commit()
    for transient_id, mag in rows:
        if mag is not None and mag <= config.archive_fainter_than:
            continue
        move(conn, config, transient_id, "archive", RULES_ACTOR, now=now, enforce=False,
             action="rule:archive",
             detail={"limit": config.archive_fainter_than, "days": config.archive_after_days})
        report.archived.append(transient_id)


def apply_rules(conn: psycopg.Connection, now: datetime | None = None,
                config: WorkflowConfig | None = None) -> RulesReport:
    """Apply the configured automatic rules as of ``now``.

    In order: snoozed objects whose date has come return to the list they came from
    (``[marshall] unsnooze_to`` if none); snoozed or archived objects whose current magnitude
    became ``resurrect_brightening_mag`` brighter than when they were put away go to
    ``resurrect_to``, at most ``resurrect_max_times`` times each; objects in
    ``archive_from_lists`` that have been in their list, and known, for ``archive_after_days``
    with no detection brighter than ``archive_fainter_than`` in that time, and a current
    magnitude fainter than it (or none), are archived.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection as the archive's own role (not inside a reader transaction).
    now : datetime, optional
        The moment the rules are evaluated at (time-zone aware); default: now.
    config : WorkflowConfig, optional
        Default: the ``[marshall]`` section of the loaded settings.
    """
    if config is None:
        from soxsvo.config import load_settings

        config = WorkflowConfig.from_settings(load_settings())
    now = now or datetime.now(UTC)
    report = RulesReport()
    _wake_snoozed(conn, config, now, report)
    _resurrect(conn, config, now, report)
    _archive_faded(conn, config, now, report)
    return report
