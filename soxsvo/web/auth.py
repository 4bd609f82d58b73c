"""The identity of the current web request.

Views never decide visibility themselves: they pass :func:`current_identity` to
:func:`soxsvo.access.begin_as_reader` and let row-level security filter. How the identity is
established (session login, API token as Bearer or HTTP Basic) is the access layer's concern;
until a request authenticates, it is anonymous.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, abort, jsonify, redirect, request

from soxsvo.web.context import current_identity


def require_role(role: str | None = None) -> Callable:
    """Decorate a view that needs an authenticated caller, holding ``role`` if one is given.

    An anonymous caller of a page is sent to ``/login`` (then back); of the REST API
    (``/api/...``) it gets a 401 JSON problem document. A caller lacking the role gets 403.
    """
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            identity = current_identity()
            if identity.is_anonymous:
                if request.path.startswith("/api/"):
                    return problem(401, "authentication required",
                                   "send an API token as 'Authorization: Bearer <token>'",
                                   headers={"WWW-Authenticate": 'Bearer realm="soxsvo"'})
                return redirect(f"/login?{urlencode({'next': request.full_path})}")
            if role is not None and not identity.has_role(role):
                if request.path.startswith("/api/"):
                    return problem(403, "forbidden", f"this needs the role '{role}'")
                abort(403, description=f"this page needs the role '{role}'")
            return view(*args, **kwargs)
        return guarded
    return decorate


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    """An RFC 9457 problem-details JSON response (the REST API's error form)."""
    response = jsonify({"type": "about:blank", "title": title, "status": status,
                        "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response
