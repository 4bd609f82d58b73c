"""Workflow actions on one transient: move between lists, prioritise, classify, comment.

Each action is one transaction run as the archive's own role (the caller has already been
checked to be a consortium member) and leaves a row in ``marshall.history`` saying who did what,
when. Pages, the REST API, the rules and the CLI all call these functions.

What the consortium records here is private until published (``docs/access.md``): a
classification becomes public when it is reported to TNS (:func:`report_to_tns`); the database
copies it into the public ``marshall.transient`` columns then and not before
(``soxsvo/db/sql/110_consortium_privacy.sql``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from soxsvo.access import Identity, begin_as_reader
from soxsvo.marshall.lists import LISTS, PRIORITIES, WorkflowConfig

#: ``@name`` in a comment mentions the user ``name`` (login names: letters, digits, ``._-``).
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9_])")
#: Longest comment accepted, in characters.
MAX_COMMENT_CHARS = 10_000


class WorkflowError(Exception):
    """An action that cannot be done; ``status`` is the HTTP status it maps to.

    404: no such transient; 409: the move is not allowed from the object's list;
    422: a value is out of range (priority, type not in the taxonomy, ...).
    """

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def record(conn: psycopg.Connection, transient_id: int, actor: str, action: str,
           detail: dict[str, Any], at: datetime | None = None) -> None:
    """Add one entry to the history of a transient (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO marshall.history (transient_id, actor, action, detail, at) "
        "VALUES (%s, %s, %s, %s, coalesce(%s, now()))",
        (transient_id, actor, action, Jsonb(detail), at))


def _locked_state(conn: psycopg.Connection, transient_id: int) -> tuple[str, int, str | None]:
    row = conn.execute(
        "SELECT w.list, w.priority, w.return_list FROM marshall.workflow w "
        "WHERE w.transient_id = %s FOR UPDATE", (transient_id,)).fetchone()
    if row is None:
        raise WorkflowError(f"no transient with id {transient_id}", 404)
    return row


def _current_mag(conn: psycopg.Connection, transient_id: int) -> float | None:
    return conn.execute("SELECT t.current_mag FROM marshall.transient t "
                        "WHERE t.transient_id = %s", (transient_id,)).fetchone()[0]


def move(conn: psycopg.Connection, config: WorkflowConfig, transient_id: int, target: str,
         actor: str, *, snooze_until: datetime | None = None, now: datetime | None = None,
         action: str = "move", enforce: bool = True, detail: dict | None = None) -> str:
    """Move a transient to the list ``target``; return the list it came from.

    Moving to ``snoozed`` sets the date it wakes up (``snooze_until``, default
    ``[marshall] snooze_days`` from now) and remembers the list it returns to; moving to
    ``snoozed`` or ``archive`` remembers its current magnitude for the resurrection rule.

    Raises
    ------
    WorkflowError
        404 for an unknown transient, 422 for an unknown list or a snooze date in the past,
        409 when configuration does not allow the move from the object's list.

    Notes
    -----
    The automatic rules pass ``enforce=False``: a snoozed object goes back to the list it came
    from whatever the configured moves, and ``action``/``detail`` say which rule moved it.
    """
    if target not in LISTS:
        raise WorkflowError(f"unknown list {target!r}; lists are {', '.join(LISTS)}", 422)
    now = now or datetime.now(UTC)
    with conn.transaction():
        source, _, return_list = _locked_state(conn, transient_id)
        if source == target:
            raise WorkflowError(f"transient {transient_id} is already in {target}", 409)
        if enforce and not config.can_move(source, target):
            raise WorkflowError(f"moving from {source} to {target} is not allowed", 409)
        detail = {"from": source, "to": target, **(detail or {})}
        if target == "snoozed":
            until = snooze_until or now + timedelta(days=config.snooze_days)
            if until <= now:
                raise WorkflowError("a snooze must end in the future", 422)
            detail["until"] = until.isoformat()
            conn.execute(
                "UPDATE marshall.workflow SET list = 'snoozed', list_since = %s, "
                "snoozed_until = %s, return_list = %s, reference_mag = %s "
                "WHERE transient_id = %s",
                (now, until, source if source != "archive" else return_list,
                 _current_mag(conn, transient_id), transient_id))
        elif target == "archive":
            conn.execute(
                "UPDATE marshall.workflow SET list = 'archive', list_since = %s, "
                "snoozed_until = NULL, reference_mag = %s WHERE transient_id = %s",
                (now, _current_mag(conn, transient_id), transient_id))
        else:
            conn.execute(
                "UPDATE marshall.workflow SET list = %s, list_since = %s, snoozed_until = NULL,"
                " return_list = NULL, reference_mag = NULL WHERE transient_id = %s",
                (target, now, transient_id))
        record(conn, transient_id, actor, action, detail, now)
    return source


def prioritise(conn: psycopg.Connection, transient_id: int, priority: int, actor: str) -> int:
    """Set the priority (1 highest … 4 lowest); return the previous one."""
    if priority not in PRIORITIES:
        raise WorkflowError(f"priority must be 1 (highest) to 4, got {priority!r}", 422)
    with conn.transaction():
        _, previous, _ = _locked_state(conn, transient_id)
        if previous != priority:
            conn.execute("UPDATE marshall.workflow SET priority = %s WHERE transient_id = %s",
                         (priority, transient_id))
            record(conn, transient_id, actor, "prioritise", {"from": previous, "to": priority})
    return previous


def visible_product(conn: psycopg.Connection, identity: Identity, dp_id: str,
                    timeout_s: float = 10.0) -> bool:
    """Whether ``identity`` may see the product ``dp_id``, asked as that caller under
    row-level security, inside the caller's (owner-role) transaction.

    A product the caller may not see and one that does not exist are the same answer: ``False``.
    """
    # A savepoint that is always rolled back: the reader role and the caller's settings of
    # begin_as_reader are SET LOCAL, and rolling back to the savepoint undoes them, so the rest
    # of the transaction is the archive's own role again.
    with conn.transaction(force_rollback=True):
        begin_as_reader(conn, timeout_s, identity)
        return conn.execute("SELECT 1 FROM ivoa.obscore WHERE dp_id = %s",
                            (dp_id,)).fetchone() is not None


def classify(conn: psycopg.Connection, config: WorkflowConfig, transient_id: int, *,
             type: str, actor: str, identity: Identity,  # noqa: A002
             redshift: float | None = None, phase_days: float | None = None,
             spectrum_dp_id: str | None = None) -> int:
    """Record a spectroscopic classification and make it the consortium's current one.

    The classification is private to the consortium (members and admins) until it is reported
    to TNS (:func:`report_to_tns`); the public ``marshall.transient.classification`` and
    ``redshift`` keep what surveys reported until then.

    Parameters
    ----------
    type : str
        A type of the configured taxonomy (``[marshall] taxonomy``).
    identity : Identity
        The caller: the spectrum is looked up with its rights.
    redshift : float, optional
        Redshift measured from the spectrum (or the host's).
    phase_days : float, optional
        Days from maximum light at the time of the spectrum (negative: before maximum).
    spectrum_dp_id : str, optional
        The archived SOXS spectrum (``dp_id``) the classification comes from; it must be one
        the caller may see.

    Returns
    -------
    int
        The new classification's identifier.

    Raises
    ------
    WorkflowError
        404 for an unknown transient; 422 for a value out of range, or a spectrum that does not
        exist or that the caller may not see (the same answer, so that it is no oracle).
    """
    if type not in config.taxonomy:
        raise WorkflowError(f"type {type!r} is not in the taxonomy", 422)
    if redshift is not None and not -0.1 < redshift < 15:
        raise WorkflowError(f"redshift {redshift} is out of range", 422)
    if phase_days is not None and not -1000 < phase_days < 10000:
        raise WorkflowError(f"phase {phase_days} days is out of range", 422)
    with conn.transaction():
        _locked_state(conn, transient_id)
        # As the caller, not as the archive's role: the owner sees every product, and a
        # different answer for a hidden product than for a missing one would tell a member
        # which proprietary products exist (the /files download says 404 for both).
        if spectrum_dp_id and not visible_product(conn, identity, spectrum_dp_id):
            raise WorkflowError(f"no spectrum {spectrum_dp_id!r} that you may see", 422)
        # The trigger of sql/110 keeps marshall.workflow's private copy (consortium_type,
        # consortium_redshift) current; the public marshall.transient is not touched.
        classification_id = conn.execute(
            "INSERT INTO marshall.classification (transient_id, type, redshift, phase_days, "
            "spectrum_dp_id, classified_by) VALUES (%s, %s, %s, %s, %s, %s) "
            "RETURNING classification_id",
            (transient_id, type, redshift, phase_days, spectrum_dp_id or None, actor),
        ).fetchone()[0]
        record(conn, transient_id, actor, "classify",
               {"type": type, "redshift": redshift, "phase_days": phase_days,
                "spectrum": spectrum_dp_id or None})
    return classification_id


def report_to_tns(conn: psycopg.Connection, transient_id: int, classification_id: int,
                  actor: str, at: datetime | None = None) -> datetime:
    """Mark a classification as reported to TNS: from then on it is public.

    The database then copies it (type, and redshift if it gives one) into the public
    ``marshall.transient`` columns when it is the newest reported classification, and every
    caller sees its ``marshall.classification`` row. Publication cannot be undone.

    Returns
    -------
    datetime
        When it was reported (``at``, default now).

    Raises
    ------
    WorkflowError
        404 when the transient has no such classification, 409 when it was already reported.
    """
    at = at or datetime.now(UTC)
    with conn.transaction():
        _locked_state(conn, transient_id)
        row = conn.execute(
            "SELECT type, reported_to_tns_at FROM marshall.classification "
            "WHERE classification_id = %s AND transient_id = %s FOR UPDATE",
            (classification_id, transient_id)).fetchone()
        if row is None:
            raise WorkflowError(f"transient {transient_id} has no classification "
                                f"{classification_id}", 404)
        kind, reported = row
        if reported is not None:
            raise WorkflowError(f"classification {classification_id} was reported to TNS "
                                f"on {reported.isoformat()}", 409)
        conn.execute("UPDATE marshall.classification SET reported_to_tns_at = %s "
                     "WHERE classification_id = %s", (at, classification_id))
        # The history says when it was marked; the report's own time may be earlier.
        record(conn, transient_id, actor, "report",
               {"classification_id": classification_id, "type": kind,
                "reported_at": at.isoformat()})
    return at


def mentions(body: str) -> list[str]:
    """The user names mentioned as ``@name`` in a comment, in order, without repeats."""
    return list(dict.fromkeys(match.rstrip(".") for match in MENTION.findall(body)))


def comment(conn: psycopg.Connection, transient_id: int, body: str, author: str) -> int:
    """Add a comment (``@name`` mentions are recorded); return its identifier."""
    body = body.strip()
    if not body:
        raise WorkflowError("a comment needs some text", 422)
    if len(body) > MAX_COMMENT_CHARS:
        raise WorkflowError(f"a comment is at most {MAX_COMMENT_CHARS} characters", 422)
    named = mentions(body)
    with conn.transaction():
        _locked_state(conn, transient_id)
        comment_id = conn.execute(
            "INSERT INTO marshall.comment (transient_id, author, body, mentions) "
            "VALUES (%s, %s, %s, %s) RETURNING comment_id",
            (transient_id, author, body, named)).fetchone()[0]
        record(conn, transient_id, author, "comment",
               {"comment_id": comment_id, "mentions": named})
    return comment_id
