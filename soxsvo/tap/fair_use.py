"""Fair use of ``/tap/sync``: a per-client cap on concurrent queries, refused with 429.

The web service runs several processes, so the count lives in PostgreSQL: a running sync query
holds one of ``max_sync_per_client`` transaction-level advisory locks keyed by its client.
The locks go with the query's transaction (rollback at the end of the stream, or the
connection dying), so a crashed request never leaks a slot.
"""

from __future__ import annotations

import psycopg

from soxsvo.errors import LimitError

#: Seconds a refused client is told to wait (``Retry-After``): about one sync query.
RETRY_AFTER = 5
#: Advisory-lock class of sync query slots (first key; the second is client + slot).
_LOCK_CLASS = "soxsvo_tap_sync"


def take_sync_slot(conn: psycopg.Connection, client: str, limit: int) -> None:
    """Hold one of ``client``'s ``limit`` sync slots for the rest of ``conn``'s transaction.

    Raises
    ------
    LimitError
        (429, ``Retry-After``) when all the client's slots are taken. Never waits.
    """
    for slot in range(limit):
        taken = conn.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(%s), hashtext(%s))",
            (_LOCK_CLASS, f"{client}#{slot}")).fetchone()[0]
        if taken:
            return
    raise LimitError(f"you already run {limit} synchronous queries at once, the most this "
                     "service runs for one client; wait until one ends, or submit the query to "
                     "/tap/async", RETRY_AFTER)
