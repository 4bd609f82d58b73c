"""Bounds on what a request may carry, checked before any view reads it.

Each refusal is the caller's mistake and answered as such (in the caller's form, through
:mod:`soxsvo.web.errors`), never a 500 further down: a NUL byte PostgreSQL cannot store, a
chunked body whose size nobody announced, JSON nested deeper than any real document.
"""

from __future__ import annotations

from flask import Flask, request

from soxsvo.errors import InputError, TooLargeError

#: Deepest JSON nesting a request body may have; the REST API's documents need 3.
MAX_JSON_DEPTH = 32


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _check_request() -> None:
    if request.headers.get("Transfer-Encoding", "").lower().find("chunked") >= 0:
        # Werkzeug cuts a chunked body at MAX_CONTENT_LENGTH without saying so: the rest of
        # an upload would be lost silently. A body must announce its length.
        raise TooLargeError("chunked request bodies are not accepted: send the body with a "
                            "Content-Length")
    for name, value in (*request.args.items(multi=True), *request.form.items(multi=True)):
        if "\x00" in name or "\x00" in value:
            raise InputError(f"parameter {name.replace(chr(0), '')!r} contains a NUL byte")
    if (request.is_json and request.content_length
            and json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH):
        raise InputError(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")


def init_guards(app: Flask) -> None:
    """Check every request's bounds before its view runs."""
    app.before_request(_check_request)
