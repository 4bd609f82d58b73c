"""The night page in a real browser (the system's Chromium through Playwright): the timeline
is drawn from this server's Plotly, blocks and reasons are listed, versions can be browsed.
A screenshot of the page is kept (its path is printed; on failure also the HTML)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from soxsvo.observing.plans import plan_night, record_execution, replan_night
from tests.marshall.web.conftest import install_test_identity
from tests.observing.helpers import NIGHT, add_transient, config, night, seed_sky
from tests.support import app_over

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def served(settings):
    with app_over(settings) as app:
        install_test_identity(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}", app
        server.shutdown()
        thread.join()


def _planned_with_too(db_conn) -> None:
    seed_sky(db_conn)
    plan_night(db_conn, NIGHT, config(), actor="anna")
    add_transient(db_conn, "AT2026too", 70.0, -30.0, list_name="inbox", priority=4)
    replan_night(db_conn, NIGHT, config(), actor="ben", reason="GRB 261208A",
                 now=night().start, too=("AT2026too",))


def test_night_page_lists_blocks_for_members_only(served, db_conn) -> None:
    _planned_with_too(db_conn)
    url, app = served
    client = app.test_client()
    page = client.get(f"/nights/{NIGHT}", headers={"X-Test-User": "anna:consortium"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "GRB 261208A" in text and "AT2026too <strong>ToO</strong>" in text
    assert "/vendor/plotly.min.js" in text
    assert "Semester 2026-10-01 – 2027-03-31 (1 planned nights)" in text
    diff = client.get(f"/nights/{NIGHT}/diff?from=1&to=2",
                      headers={"X-Test-User": "anna:consortium"}).get_data(as_text=True)
    added = diff[diff.index('id="added"'):diff.index("</ul>", diff.index('id="added"'))]
    assert "AT2026too" in added
    old = client.get(f"/nights/{NIGHT}?version=1", headers={"X-Test-User": "anna:consortium"})
    assert "AT2026too" not in old.get_data(as_text=True)
    assert client.get(f"/nights/{NIGHT}", headers={"X-Test-User": "olga:"}).status_code == 403


def test_transient_page_shows_its_observations(served, db_conn) -> None:
    _planned_with_too(db_conn)
    tid = db_conn.execute("SELECT transient_id FROM marshall.transient "
                          "WHERE name = 'AT2026too'").fetchone()[0]
    db_conn.commit()  # record_execution then commits its own transaction
    obs_id = f"SOXS-{NIGHT:%Y%m%d}-transient-{tid}"
    record_execution(db_conn, obs_id, status="done", start=night().start,
                     end=night().time_at(7), actor="night-log", seeing=0.85)
    _, app = served
    page = app.test_client().get(f"/marshall/transient/{tid}",
                                 headers={"X-Test-User": "anna:consortium"})
    html = page.get_data(as_text=True)
    row = html[html.index('id="observations"'):html.index("</table>", html.index(
        'id="observations"'))]
    assert obs_id in row and "done" in row and "0.85 arcsec" in row
    assert f'href="/nights/{NIGHT}"' in row


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium")
def test_timeline_is_drawn_in_a_browser(served, db_conn, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    _planned_with_too(db_conn)
    url, _ = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        context = browser.new_context(extra_http_headers={"X-Test-User": "anna:consortium"},
                                      viewport={"width": 1400, "height": 1200})
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        shot = tmp_path / "night.png"
        try:
            page.goto(f"{url}/nights/{NIGHT}")
            page.wait_for_selector("#timeline[data-rendered]", timeout=30_000)
            blocks = page.locator("#blocks tr[data-obs-id]").count()
            assert int(page.get_attribute("#timeline", "data-rendered")) == blocks > 3
            # One altitude curve and one block segment per block, and the moon.
            traces = page.evaluate("document.getElementById('timeline').data.length")
            assert traces == 2 * blocks + 1
            assert page.locator("#timeline .shapelayer path").count() >= 6  # twilights
            assert "ToO" in page.locator("#blocks").inner_text()
            assert errors == []
            assert [u for u in requests if not u.startswith(url)] == []
            page.screenshot(path=str(shot), full_page=True)
        except Exception:
            (tmp_path / "night.html").write_text(page.content())
            page.screenshot(path=str(shot), full_page=True)
            raise
        finally:
            print(f"screenshot: {shot}")
            context.close()
            browser.close()
    assert shot.stat().st_size > 20_000
