"""What the Marshall's pages and API share: the writing connection, the workflow
configuration, the acting user and JSON-ready values.

Reads use the one reader transaction, :func:`soxsvo.web.context.reading`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from flask import current_app

from soxsvo.marshall.lists import WorkflowConfig
from soxsvo.web.context import connection, current_identity, current_settings


def workflow_config() -> WorkflowConfig:
    """The ``[marshall]`` configuration of the running application (parsed once)."""
    cached = current_app.extensions.get("soxsvo_marshall_config")
    if cached is None:
        cached = WorkflowConfig.from_settings(current_settings())
        current_app.extensions["soxsvo_marshall_config"] = cached
    return cached




@contextmanager
def writing() -> Iterator[psycopg.Connection]:
    """A pooled connection as the archive's role, for workflow actions (each its own
    transaction); only used after the caller was checked to be a consortium member."""
    with connection() as conn:
        yield conn


def actor() -> str:
    """The login name recorded in the history for the request's changes."""
    return current_identity().user or "anonymous"


def jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 strings, recursively through dicts and lists.

    Time-zone-less timestamps in the database (ObsCore's) are UTC: they get an explicit offset
    so that clients read RFC 3339 date-times.
    """
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
