"""The roles of ``soxsvo serve`` nodes, and a web node's draining state, shared with gunicorn.

``soxsvo serve --role`` hands the role to gunicorn as the setting ``[serve] role``
(``SOXSVO_SERVE_ROLE``; ``web`` runs no job workers). A file whose existence means "this node
is draining" (SIGTERM received; ``/health/ready`` answers 503 until gunicorn stops) is named
by host and port, which no two web nodes share even on one shared data directory.
"""

from __future__ import annotations

import socket
from pathlib import Path

from soxsvo.config import Settings

#: What each role of ``soxsvo serve --role`` runs.
ROLES = {
    "all": "the web application and the UWS job workers (one machine)",
    "web": "the web application only",
    "jobs": "the UWS job workers only (no HTTP)",
    "watch": "`soxsvo watch` on a folder (no HTTP)",
}
#: The environment variable that sets a child's role (the setting ``[serve] role``).
ROLE_ENV = "SOXSVO_SERVE_ROLE"


def drain_file(settings: Settings) -> Path:
    """The file that says this web node (host and port) drains."""
    return settings.data_path / "run" / f"draining-{socket.gethostname()}-{settings.port}"


def draining(settings: Settings) -> bool:
    """True once the node's ``soxsvo serve`` has received SIGTERM and drains."""
    # Why a file, not a signal to the workers: gunicorn's workers take SIGTERM as "stop
    # accepting now"; the file lets them keep serving while they say they will go.
    return drain_file(settings).exists()
