"""Bounds on what a request may carry, checked before any view reads it.

Each refusal is the caller's mistake and answered as such (in the caller's form, through
:mod:`soxsvo.web.errors`), never a 500 further down: a NUL byte PostgreSQL cannot store, a
chunked body longer than the app accepts, JSON nested deeper than any real document. A
multipart boundary left unquoted against RFC 2046 is quoted so that its fields are read.
"""

from __future__ import annotations

import io
import re

from flask import Flask, current_app, request

from soxsvo.errors import InputError, TooLargeError

#: Deepest JSON nesting a request body may have; the REST API's documents need 3.
MAX_JSON_DEPTH = 32


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
#: Every byte but the ones that open, close or quote: deleted before the scan.
_NOT_STRUCTURAL = bytes(set(range(256)) - set(b'[]{}"'))


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped).

    Escapes are dropped and every byte but brackets and quotes deleted first, in C: the
    Python loop then walks a few bytes instead of a multi-megabyte base64 sky map (8 MB:
    0.35 s before, see docs/security.md).
    """
    structure = _ESCAPE.sub(b"", body).translate(None, _NOT_STRUCTURAL)
    depth = deepest = 0
    in_string = False
    for byte in structure:
        if byte == 0x22:
            in_string = not in_string
        elif in_string:
            continue
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


#: Set in the WSGI environ when a chunked body was longer than the app accepts.
_TOO_LARGE = "soxsvo.body_too_large"


class ChunkedBodies:
    """WSGI middleware reading a chunked request body (no Content-Length) up front.

    STILTS and TOPCAT send TAP uploads chunked. Werkzeug cut such a body at
    ``MAX_CONTENT_LENGTH`` without a word and the view processed what was left; here the body
    is read up to that limit plus one byte: within it, the request goes on with the body and
    its length as if it had been announced; over it, the body is dropped and
    :func:`_check_request` answers 413 in the caller's form.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            limit = self.app.config["MAX_CONTENT_LENGTH"]
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                environ[_TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)


#: An unquoted multipart boundary parameter: its value runs to the next ';' or the end.
_UNQUOTED_BOUNDARY = re.compile(r'(;\s*boundary=)([^";][^;]*)', re.IGNORECASE)


class QuotedBoundary:
    """WSGI middleware quoting an unquoted multipart boundary.

    astroquery's TapPlus posts uploads with ``boundary====1733600000000===``: the ``=`` must
    be quoted by RFC 2046, Werkzeug then finds no boundary and reads no field at all, so the
    request was refused for a missing LANG. DaCHS reads it; so do we, by quoting the value
    (a quoted boundary means the same to every parser, whatever it contains).
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type[:10].lower() == "multipart/":
            environ["CONTENT_TYPE"] = _UNQUOTED_BOUNDARY.sub(
                lambda m: f'{m.group(1)}"{m.group(2).strip()}"', content_type, count=1)
        return self.wsgi_app(environ, start_response)


#: ``\u0000`` escaped in a JSON string (not ``\\u0000``, an escaped backslash before "u0000"):
#: PostgreSQL stores NUL neither in text nor in jsonb.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _check_request() -> None:
    if request.environ.get(_TOO_LARGE):
        raise TooLargeError(f"the request body is larger than "
                            f"{current_app.config['MAX_CONTENT_LENGTH']:,} bytes")
    if "\x00" in request.path:  # a job id, a dp_id, a file name: all go to PostgreSQL
        raise InputError("the request path contains a NUL byte")
    for name, value in (*request.args.items(multi=True), *request.form.items(multi=True)):
        if "\x00" in name or "\x00" in value:
            raise InputError(f"parameter {name.replace(chr(0), '')!r} contains a NUL byte")
    if request.is_json and request.content_length:
        body = request.get_data(cache=True)
        if json_depth(body) > MAX_JSON_DEPTH:
            raise InputError(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        if _JSON_NUL.search(body):
            raise InputError("the JSON body contains a NUL character (\\u0000)")


def init_guards(app: Flask) -> None:
    """Check every request's bounds before its view runs."""
    app.wsgi_app = QuotedBoundary(ChunkedBodies(app))
    app.before_request(_check_request)
