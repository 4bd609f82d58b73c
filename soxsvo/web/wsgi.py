"""WSGI entry point for gunicorn: ``gunicorn soxsvo.web.wsgi:app``."""

from soxsvo.db import libpq_copy
from soxsvo.formats import pgbinary
from soxsvo.web.app import create_app

app = create_app()
# Each worker loads the compiled loops of BINARY2 results before its first request, not
# during it.
pgbinary.warm_up()
libpq_copy.warm_up()
