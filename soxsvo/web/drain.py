"""The role a ``soxsvo serve`` node plays, and its draining state, shared with gunicorn.

``soxsvo serve`` hands both to the gunicorn master and its workers in the environment: the
role (``web`` runs no job workers) and the path of a file whose existence means "this node is
draining" (SIGTERM received; ``/health/ready`` answers 503 until gunicorn stops).
"""

from __future__ import annotations

import os
from pathlib import Path

#: What each role of ``soxsvo serve --role`` runs.
ROLES = {
    "all": "the web application and the UWS job workers (one machine)",
    "web": "the web application only",
    "jobs": "the UWS job workers only (no HTTP)",
    "watch": "`soxsvo watch` on a folder (no HTTP)",
}
#: Environment variables ``soxsvo serve`` sets for gunicorn.
ROLE_ENV = "SOXSVO_SERVE_ROLE"
DRAIN_FILE_ENV = "SOXSVO_DRAIN_FILE"


def serve_role() -> str:
    """The role of this process's node (``all`` outside ``soxsvo serve``)."""
    return os.environ.get(ROLE_ENV, "all")


def draining() -> bool:
    """True once the node's ``soxsvo serve`` has received SIGTERM and drains."""
    path = os.environ.get(DRAIN_FILE_ENV)
    # Why a file, not a signal to the workers: gunicorn's workers take SIGTERM as "stop
    # accepting now"; the file lets them keep serving while they say they will go.
    return bool(path) and Path(path).exists()
