"""WSGI entry point for gunicorn: ``gunicorn soxsvo.web.wsgi:app``."""

from soxsvo.web import create_app

app = create_app()
