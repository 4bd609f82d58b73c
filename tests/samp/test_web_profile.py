"""The /archive page's SAMP buttons in headless Chromium, through the SAMP Web Profile of a real
hub, to listening clients that check the mtype and download what the URL points at."""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from pathlib import Path

import psycopg
import pytest
from astropy.io.votable import parse_single_table
from playwright.sync_api import sync_playwright
from pyvo.samp import SAMPHubServer

from tests.samp.listener import Listener

CHROMIUM = "/usr/bin/chromium"


class AcceptingUser:
    """Stands in for the user at the Web Profile's registration prompt: accepts every page,
    recording which page asked (the hub hands it ``queue_request``/``queue_result``)."""

    def __init__(self) -> None:
        self.requests: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            requests = getattr(self, "queue_request", None)
            if requests is None:
                self._stop.wait(0.05)
                continue
            try:
                request = requests.get(timeout=0.1)
            except Exception:  # queue.Empty
                continue
            self.requests.append(request)
            self.queue_result.put(True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@pytest.fixture
def web_hub(tmp_path: Path, monkeypatch):
    user = AcceptingUser()
    lockfile = tmp_path / "samp.lock"
    hub = SAMPHubServer(web_profile=True, web_profile_dialog=user, lockfile=str(lockfile),
                        mode="single")
    hub.start()
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{lockfile}")
    tools = {"topcat": Listener("topcat", ["table.load.votable", "table.load.fits"]),
             "splat": Listener("splat", ["spectrum.load.ssa-generic"]),
             "aladin": Listener("aladin", ["coord.pointAt.sky"])}
    yield user, tools
    for tool in tools.values():
        tool.client.disconnect()
    hub.stop()
    user.stop()


def test_archive_page_sends_table_spectrum_and_position(web_hub, live_server, demo_archive,
                                                        tmp_path) -> None:
    user, tools = web_hub
    with psycopg.connect(demo_archive.database_url) as conn:
        ra, dec = conn.execute(
            "SELECT s_ra, s_dec FROM ivoa.obscore WHERE soxs.is_released(obs_release_date) "
            "ORDER BY t_min DESC LIMIT 1").fetchone()
        expected = {r[0] for r in conn.execute(
            "SELECT dp_id FROM ivoa.obscore WHERE soxs.is_released(obs_release_date) "
            "AND dataproduct_type = 'spectrum' AND q3c_radial_query(s_ra, s_dec, %s, %s, %s)",
            (ra, dec, 5 / 3600))}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(f"{live_server}/archive?pos={ra}%20{dec}&radius=5")
            page.wait_for_function("typeof samp !== 'undefined'")
            page.wait_for_timeout(500)
            assert user.requests == [], "no contact with the hub before a click"

            page.get_by_role("button", name="Send table to TOPCAT / Aladin").click()
            mtype, params = tools["topcat"].next()
            assert mtype == "table.load.votable"
            with urllib.request.urlopen(params["url"]) as response:
                table = parse_single_table(io.BytesIO(response.read())).to_table()
            assert set(table["dp_id"]) == expected

            page.get_by_role("button", name="Send spectrum to SPLAT").first.click()
            mtype, params = tools["splat"].next()
            assert mtype == "spectrum.load.ssa-generic"
            assert params["meta"]["Access.Format"] == "application/fits"
            dp_id = re.search(r"/files/(.+)$", params["url"]).group(1)
            assert dp_id in expected
            with psycopg.connect(demo_archive.database_url) as conn:
                stored = Path(conn.execute("SELECT file_path FROM soxs.product "
                                           "WHERE dp_id = %s", (dp_id,)).fetchone()[0])
            with urllib.request.urlopen(params["url"]) as response:
                assert response.read() == stored.read_bytes()

            page.get_by_role("button", name="Show in Aladin").first.click()
            mtype, params = tools["aladin"].next()
            assert mtype == "coord.pointAt.sky"
            assert (float(params["ra"]), float(params["dec"])) == pytest.approx((ra, dec))
            assert page.locator(".samp-status").inner_text().startswith("Sent")
            # One registration, asked for by this page, accepted once for all three sends.
            assert len(user.requests) == 1
            metadata, _address, origin = user.requests[0]
            assert (metadata["samp.name"], origin) == ("SOXS archive", live_server)
        except BaseException:
            page.screenshot(path=str(tmp_path / "archive-samp-failure.png"), full_page=True)
            (tmp_path / "archive-samp-failure.html").write_text(page.content())
            print(f"screenshot and page saved in {tmp_path}")
            raise
        finally:
            browser.close()
