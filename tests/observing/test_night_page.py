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


def test_a_proposed_replan_is_accepted_in_one_click(served, db_conn) -> None:
    from datetime import UTC, datetime, timedelta

    from astropy.time import Time

    from soxsvo.observing.night import current_night
    from soxsvo.observing.plans import cached_night
    from tests.marshall.ingest import samples

    # Tomorrow's night: always ahead of the clock the page re-plans from. The candidate sits
    # where that night looks at midnight (RA near the sidereal time, Dec -60: high all night).
    night_date = current_night(datetime.now(UTC)) + timedelta(days=1)
    model = cached_night(night_date, config())
    ra = float(model.local_era[model.steps // 2] % 360)
    seed_sky(db_conn)
    add_transient(db_conn, "AT2026click", ra, -60.0, list_name="inbox", priority=4,
                  discovery_mjd=Time("2026-11-21T00:00:00").mjd)
    plan_night(db_conn, night_date, config(), actor="anna")
    _, app = served
    client = app.test_client()
    member = {"X-Test-User": "anna:consortium", "Authorization": "Bearer test-token"}
    notice = client.post("/api/alerts", headers=member,
                         data=samples.lvk_notice("S261120ab", ra=ra, dec=-60.0))
    assert notice.get_json()["night"][0]["action"] == "proposed"
    browser = {"X-Test-User": "anna:consortium"}
    page = client.get(f"/nights/{night_date}", headers=browser).get_data(as_text=True)
    offered = page[page.index('id="proposals"'):page.index("</ul>", page.index('id="proposals"'))]
    assert "S261120ab" in offered and "P(BNS)+P(NSBH) = 0.99" in offered
    token = offered.split('name="csrf_token" value="')[1].split('"')[0]
    accepted = client.post(f"/nights/{night_date}/replan", headers=browser,
                           data={"csrf_token": token, "too": "S261120ab"})
    assert accepted.status_code == 302
    after = client.get(f"/nights/{night_date}", headers=browser).get_data(as_text=True)
    assert "ToO S261120ab (accepted proposal)" in after and "AT2026click <strong>ToO" in after
    assert 'id="proposals"' not in after  # nothing newer than the current version
