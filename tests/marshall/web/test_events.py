"""Events: the MOC query over a stored sky map, and the event page with its notices and its
candidates (transients in the credible region first detected after the trigger)."""

from __future__ import annotations

import json
import re

from soxsvo.marshall.ingest import IngestConfig, ingest_bytes
from tests.marshall.ingest.samples import lvk_notice, swift_bat_notice, ztf_packet, ztf_record

from .conftest import CONSORTIUM

# The notice's trigger is 2026-11-20T03:12:45Z, MJD 61364.13; its map peaks at (150, 2).
AFTER, BEFORE = 2461365.5, 2461360.5


def _ingest(mconn, *blobs: bytes) -> None:
    for i, blob in enumerate(blobs):
        ingest_bytes(mconn, blob, f"test-{i}", IngestConfig())
    mconn.commit()


def _event_with_transients(mconn, data_dir) -> None:
    _ingest(mconn, lvk_notice("S261120a", "PRELIMINARY"), lvk_notice("S261120a", "INITIAL"),
            ztf_packet(data_dir, [
                ztf_record(data_dir, object_id="ZTF26aaainsd", candid=1, ra=150.5, dec=2.3,
                           jd=AFTER),
                ztf_record(data_dir, object_id="ZTF26aaaoldr", candid=2, ra=149.6, dec=1.8,
                           jd=BEFORE),
                ztf_record(data_dir, object_id="ZTF26aaafarr", candid=3, ra=30.0, dec=-40.0,
                           jd=AFTER)]))


def test_moc_query_uses_the_stored_sky_map(mclient, mconn, data_dir):
    _event_with_transients(mconn, data_dir)
    answer = mclient.get("/moc/query?event=S261120a&credible=0.9&fmt=json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = json.loads(answer.data)
    name = [c["name"] for c in body["columns"]].index("name")
    found = {row[name] for row in body["data"]}
    assert {"ZTF26aaainsd", "ZTF26aaaoldr"} <= found and "ZTF26aaafarr" not in found


def test_moc_query_of_unknown_or_mapless_events_is_a_dali_error(mclient, mconn):
    _ingest(mconn, swift_bat_notice())
    unknown = mclient.get("/moc/query?event=S999999zz")
    assert unknown.status_code == 404 and 'value="ERROR"' in unknown.get_data(as_text=True)
    names = mconn.execute("SELECT name FROM marshall.event").fetchall()
    mapless = mclient.get(f"/moc/query?event={names[0][0]}")
    assert mapless.status_code == 400 and "has no sky map" in mapless.get_data(as_text=True)


def test_event_page_lists_notices_and_candidates_after_the_trigger(mclient, mconn, data_dir):
    _event_with_transients(mconn, data_dir)
    listing = mclient.get("/marshall/events", headers=CONSORTIUM).get_data(as_text=True)
    assert 'href="/marshall/events/S261120a"' in listing
    answer = mclient.get("/marshall/events/S261120a", headers=CONSORTIUM)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    notices = re.findall(r"<li><strong>(\w+)</strong>", html.split('id="notices"')[1])
    # In issue order: the samples' INITIAL notice says it was issued at 03:07, the
    # PRELIMINARY one at 03:11 (ingested the other way round).
    assert notices == ["INITIAL", "PRELIMINARY"]
    assert "90% area" in html
    candidates = html.split('id="candidates"')[1]
    assert re.findall(r'class="name">([^<]+)<', candidates) == ["ZTF26aaainsd"]
    assert mclient.get("/marshall/events/S000000x", headers=CONSORTIUM).status_code == 404
    assert mclient.get("/marshall/events/S261120a").status_code == 302     # log in first
