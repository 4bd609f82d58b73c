"""gunicorn's threaded worker, answering a too long request line as a DAL service would.

A TAP query sent with GET can outgrow gunicorn's request-line limit before Flask sees the
request; gunicorn then answers with its own HTML page, which no VO client reads. This worker
answers 414 with a DALI error document that says what to do (POST the query) instead.
"""

from __future__ import annotations

from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

from soxsvo.formats import error_document


def too_long_answer(limit: int) -> bytes:
    """The whole HTTP answer to a request line longer than ``limit`` bytes."""
    body = error_document(f"the request line is longer than {limit} bytes; send long queries "
                          "with POST (e.g. QUERY as a form field)")
    head = ("HTTP/1.1 414 URI Too Long\r\n"
            "Content-Type: application/x-votable+xml\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode("ascii") + body


class DALIThreadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker with DALI answers for request lines over the limit."""

    def handle_error(self, req, client, addr, exc) -> None:
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("request line too long from %s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(too_long_answer(self.cfg.limit_request_line))
        except OSError:
            self.log.debug("could not send the 414 answer")
