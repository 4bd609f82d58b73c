"""INFO elements and the query status a writer learns after the rows.

DALI puts ``QUERY_STATUS=OK`` before the TABLE and TAP 1.1 a trailing
``QUERY_STATUS=OVERFLOW`` after it.  Whether MAXREC was hit is only known
once the cursor is exhausted, so writers accept a `QueryStatus` (or any
callable) and read it after consuming the batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Info", "OverflowSource", "QueryStatus", "query_infos", "resolve_overflow"]


@dataclass(frozen=True)
class Info:
    """One VOTable ``<INFO name=... value=...>content</INFO>``.

    Parameters
    ----------
    name : str
        INFO name (``QUERY``, ``REQUEST_DATE``, ``SERVICE``...).
    value : str
        The value attribute.
    content : str or None
        Optional element text (e.g. a long ADQL query).
    """

    name: str
    value: str
    content: str | None = None


@dataclass
class QueryStatus:
    """Mutable status the query runner sets once its cursor is exhausted.

    Attributes
    ----------
    overflow : bool
        True when the query stopped at MAXREC and more rows existed.
    """

    overflow: bool = False

    def __call__(self) -> bool:
        return self.overflow


#: What ``overflow=`` accepts: a bool, a `QueryStatus`, or a zero-argument callable.
OverflowSource = bool | QueryStatus | Callable[[], bool]


def resolve_overflow(overflow: OverflowSource) -> bool:
    """Evaluate ``overflow``; call only after all batches have been consumed."""
    if isinstance(overflow, bool):
        return overflow
    return bool(overflow())


def query_infos(
    query: str | None = None,
    *,
    request_date: dt.datetime | str | None = None,
    service: str | None = None,
) -> tuple[Info, ...]:
    """The conventional RESOURCE INFOs describing a request.

    Parameters
    ----------
    query : str, optional
        The query text (ADQL), put into ``<INFO name="QUERY">``.
    request_date : datetime or str, optional
        When the request was received; datetimes are written in ISO 8601 UTC.
    service : str, optional
        Service name/version, as ``<INFO name="SERVICE">``.

    Returns
    -------
    tuple of Info
    """
    infos = []
    if query is not None:
        infos.append(Info("QUERY", query, None))
    if request_date is not None:
        if isinstance(request_date, dt.datetime):
            if request_date.tzinfo is not None:
                request_date = request_date.astimezone(dt.UTC).replace(tzinfo=None)
            request_date = request_date.isoformat(timespec="seconds")
        infos.append(Info("REQUEST_DATE", request_date))
    if service is not None:
        infos.append(Info("SERVICE", service))
    return tuple(infos)
