"""The Marshall in a real browser: headless Chromium (the system's) driven by Playwright.

A consortium member triages an object from the inbox to the follow-up targets, classifies it,
comments, and sees its light curve and spectrum drawn; no request leaves this server.
On failure a screenshot and the page's HTML are saved (their paths are in the message).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium")


@pytest.fixture
def served(marshall_app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, marshall_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser_page(served, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        context = browser.new_context(extra_http_headers={"X-Test-User": "anna:consortium"},
                                      viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.requests = requests
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"error: {error}"))
        page.console_log = console
        try:
            yield page
        except BaseException:
            raise
        finally:
            context.close()
            browser.close()


def _with_screenshot(page, tmp_path: Path, steps) -> None:
    try:
        steps()
    except Exception as exc:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        (tmp_path / "failure.html").write_text(page.content())
        raise AssertionError(f"{exc}\nscreenshot: {shot}\npage: {tmp_path / 'failure.html'}"
                             "\nconsole:\n" + "\n".join(page.console_log[-20:])) from exc


def _transient_with_spectra(mconn) -> tuple[int, str]:
    return mconn.execute(
        "SELECT t.transient_id, t.name FROM marshall.transient t JOIN soxs.observation ob "
        "USING (transient_id) JOIN ivoa.obscore o USING (obs_id) "
        "WHERE soxs.is_released(o.obs_release_date) ORDER BY t.transient_id LIMIT 1").fetchone()


def test_triage_classify_comment_and_plots(browser_page, served, mconn, tmp_path):
    page = browser_page
    tid, name = _transient_with_spectra(mconn)

    def steps():
        page.goto(f"{served}/marshall/inbox?sort=name&order=asc")
        assert page.locator("#count-inbox").inner_text() == "12"
        page.locator(f"tr[data-id='{tid}'] input[name=transient_id]").check()
        page.select_option("#bulk select[name=target]", "review")
        page.click("#bulk button[value=move]")
        page.wait_for_url("**/marshall/inbox**")
        assert page.locator("#count-review").inner_text() == "1"
        assert page.locator(f"tr[data-id='{tid}']").count() == 0

        page.click("a[data-list=review]")
        page.click(f"a.name:has-text('{name}')")
        assert page.locator("#name").inner_text() == name
        page.select_option("#move-target", "followup")
        page.click("#move-form button")
        page.wait_for_selector("#list:has-text('Follow-up targets')")

        page.select_option("#classify-form select[name=type]", "SN Ia")
        page.fill("#classify-form input[name=redshift]", "0.045")
        page.fill("#classify-form input[name=phase_days]", "-2")
        page.locator("#classify-form select[name=spectrum_dp_id] option").nth(1).wait_for(
            state="attached")
        spectrum = page.locator("#classify-form select[name=spectrum_dp_id] option").nth(
            1).get_attribute("value")
        page.select_option("#classify-form select[name=spectrum_dp_id]", spectrum)
        page.click("#classify-form button")
        page.wait_for_selector("#classification:has-text('SN Ia')")
        assert spectrum in page.locator("#classifications").inner_text()

        page.fill("#comment-form textarea", "@ben worth a second epoch <b>tonight</b>")
        page.click("#comment-form button")
        page.wait_for_selector("#comments li")
        assert "<b>tonight</b>" in page.locator("#comments").inner_text()   # escaped
        history = page.locator("#history").inner_text()
        for action in ("comment", "classify", "move"):
            assert action in history

        # The light curve: one Plotly trace per band (and per band's limits), points drawn.
        page.wait_for_selector("#lightcurve .main-svg")
        assert page.locator("#lightcurve .scatterlayer .trace").count() >= 2
        assert page.locator("#lightcurve .scatterlayer .point").count() > 20
        assert "triangle" in page.evaluate(
            "document.getElementById('lightcurve').data.map(t => t.marker.symbol).join()")
        # The spectra: every visible SOXS spectrum fetched and drawn.
        page.wait_for_selector("#spectra[data-rendered]")
        assert int(page.get_attribute("#spectra", "data-rendered")) >= 1
        assert page.evaluate("document.getElementById('spectra').data[0].x.length") > 100

        outside = [url for url in page.requests if not url.startswith(served)]
        assert outside == [], f"pages called outside services: {outside}"
        # The sky view is loaded from this server, and only when asked for.
        assert not any(url.endswith("/vendor/aladin.js") for url in page.requests)
        with page.expect_response(f"{served}/vendor/aladin.js") as aladin:
            page.click("#show-sky")
        assert aladin.value.status == 200
        page.wait_for_selector("#aladin[data-ready]")
        page.wait_for_timeout(2000)
        assert any(url.startswith(f"{served}/hips/") for url in page.requests)
        outside = [url for url in page.requests if not url.startswith(served)
                   and not url.startswith(("data:", "blob:"))]
        assert outside == [], f"the sky view called outside services: {outside}"

    _with_screenshot(page, tmp_path, steps)
