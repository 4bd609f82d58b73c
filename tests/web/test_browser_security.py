"""The hardening in a real browser (headless Chromium, the system's, driven by Playwright).

- Item 11: with the Content-Security-Policy on, every page works and the browser reports no
  violation: login, landing, archive search (SAMP buttons), account, Marshall list and object
  page (Plotly light curve and spectra, Aladin Lite sky view).
- Item 3: a page on another origin of the same site (another port of 127.0.0.1: SameSite=Lax
  lets the session cookie through) auto-submits a form to ``POST /api/alerts``; the archive
  refuses it and no transient is created in the member's name.
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import psycopg
import pytest

from soxsvo.access import users
from tests.marshall.ingest import samples
from tests.support import build_demo_database

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium")
PASSWORD = "correct horse battery"
#: Reports every CSP violation the page meets (the console says it too, but in words).
_WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " at " + e.sourceFile + ":" +
                   e.lineNumber);
});
"""


def _serve(app_or_handler) -> tuple[object, str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app_or_handler, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def served(pg_cluster, tmp_path_factory):
    """A demo archive of its own (a member ``mia`` with a password) served over HTTP."""
    from soxsvo.web.app import create_app

    settings = build_demo_database(pg_cluster, "browser_security",
                                   tmp_path_factory.mktemp("browser-security"))
    with psycopg.connect(settings.database_url) as conn:
        users.add_user(conn, "mia", PASSWORD, "Member")
        users.grant(conn, "mia", role="consortium")
    app = create_app(settings)
    server, url = _serve(app)
    yield url, settings
    server.shutdown()
    if app.extensions["soxsvo_pool"]["pool"] is not None:
        app.extensions["soxsvo_pool"]["pool"].close()


@pytest.fixture
def page(served, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(_WATCH_CSP)
        page = context.new_page()
        page.set_default_timeout(30_000)
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"error: {error}"))
        page.console_log = console
        try:
            yield page
        except BaseException:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            raise
        finally:
            context.close()
            browser.close()


def _log_in(page, url: str) -> None:
    page.goto(f"{url}/login?next=/account")
    page.fill("input[name=login]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('Log in')")
    page.wait_for_url(f"{url}/account")


def _violations(page) -> list[str]:
    reported = page.evaluate("window.__csp || []")
    said = [line for line in page.console_log if "Content Security Policy" in line]
    return reported + said


def _transient_with_spectra(settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(
            "SELECT t.transient_id FROM marshall.transient t JOIN soxs.observation ob "
            "USING (transient_id) JOIN ivoa.obscore o USING (obs_id) "
            "WHERE soxs.is_released(o.obs_release_date) ORDER BY t.transient_id LIMIT 1"
        ).fetchone()[0]


def test_every_page_works_under_the_content_security_policy(page, served) -> None:
    url, settings = served
    _log_in(page, url)
    assert page.locator("#who").inner_text() == "mia"
    with psycopg.connect(settings.database_url) as conn:
        ra, dec = conn.execute("SELECT s_ra, s_dec FROM ivoa.obscore ORDER BY dp_id "
                               "LIMIT 1").fetchone()
    search = f"/archive?pos={ra}%20{dec}&radius=5"
    seen: dict[str, list[str]] = {}
    for path in ("/", "/account", search, "/marshall/inbox"):
        page.goto(url + path)
        page.wait_for_load_state("load")
        seen[path] = _violations(page)
    # The search page's SAMP buttons come with their script (from /static).
    page.goto(url + search)
    assert page.locator("button.samp").count() > 0

    page.goto(f"{url}/marshall/transient/{_transient_with_spectra(settings)}")
    page.wait_for_selector("#lightcurve .main-svg")
    page.wait_for_selector("#spectra[data-rendered]")
    page.click("#show-sky")
    page.wait_for_selector("#aladin[data-ready]")
    page.wait_for_timeout(2000)
    seen["transient page"] = _violations(page)
    assert {path: found for path, found in seen.items() if found} == {}
    # (Aladin Lite logs a few errors of its own, with or without the policy; none of these.)
    assert not [line for line in page.console_log if "Refused to" in line
                or "EvalError" in line], page.console_log


def test_a_sibling_origins_form_cannot_post_alerts_with_the_session(page, served) -> None:
    url, settings = served
    _log_in(page, url)
    alert = json.dumps(samples.gaia_alerts([("Gaia26evil", 33.0, -33.0, 17.0, "")]).decode())
    # The attacker's page: a multipart form with a file (what any page may send, no CORS
    # preflight) that fills itself in and submits itself.
    attack = f"""<!doctype html><html><body>
<form id="f" method="post" enctype="multipart/form-data"
      action="{url}/api/alerts?source=gaia"><input type="file" name="file" id="file"></form>
<script>
var files = new DataTransfer();
files.items.add(new File([{alert}], "alerts.csv", {{type: "text/csv"}}));
document.getElementById("file").files = files.files;
document.getElementById("f").submit();
</script></body></html>"""

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(attack.encode())

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with page.expect_response(f"{url}/api/alerts?source=gaia") as answer:
            page.goto(f"http://127.0.0.1:{evil.server_port}/")
        response = answer.value
        # The browser did send the member's cookie (same site): the archive must refuse.
        assert "session=" in (response.request.header_value("cookie") or "")
        assert response.status == 400
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        evil.shutdown()
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM marshall.transient "
                            "WHERE name = 'Gaia26evil'").fetchone()[0] == 0
