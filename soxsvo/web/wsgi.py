"""WSGI entry point for gunicorn: ``gunicorn soxsvo.web.wsgi:app``.

Importing it loads everything a request needs before the first one: under ``soxsvo serve`` in
the gunicorn master, whose web and job workers then share it (``preload_app``,
:mod:`soxsvo.web.gunicorn_conf`); in each worker if gunicorn runs without preloading.
"""

from soxsvo.db import libpq_copy
from soxsvo.formats import pgbinary
from soxsvo.web.app import create_app

#: Requests that need no database (no pool may open before gunicorn forks): they take Flask's
#: and werkzeug's request and response code, the error page and the VOSI documents through
#: their first use here, so that workers share the result instead of each writing its own
#: pages (docs/performance.md, "Memory": 9 MiB less growth under load with 4 workers).
#: TAP's VOSI documents are not among them: they list the published tables, which live in the
#: database since operators can publish their own (``soxsvo table``).
WARM_UP_PATHS = ("/ssa/capabilities", "/datalink/capabilities", "/sia/capabilities",
                 "/no-such-page")

app = create_app()
# The compiled loops of BINARY2 results.
pgbinary.warm_up()
libpq_copy.warm_up()
with app.test_client() as _client:
    for _path in WARM_UP_PATHS * 5:
        _client.get(_path)
del _client, _path
