"""The identity of the current web request.

Views never decide visibility themselves: they pass :func:`current_identity` to
:func:`soxsvo.access.begin_as_reader` and let row-level security filter. How the identity is
established (session login, API token as Bearer or HTTP Basic) is the access layer's concern;
until a request authenticates, it is anonymous.
"""

from __future__ import annotations

from flask import g

from soxsvo.access import ANONYMOUS, Identity


def current_identity() -> Identity:
    """The caller of the current request (anonymous unless it authenticated)."""
    return g.get("identity", ANONYMOUS)
