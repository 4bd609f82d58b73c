"""WSGI entry point for gunicorn: ``gunicorn soxsvo.web.wsgi:app``."""

from soxsvo.votable.pgbinary import warm_up
from soxsvo.web import create_app

app = create_app()
# Each worker loads the compiled BINARY2 loop before its first request, not during it.
warm_up()
