"""Triage evidence on the Marshall's pages: alert stamps, survey scores, negative detections and
limits, as a consortium member sees them (and what others do not)."""

from __future__ import annotations

import json
import re

from soxsvo.marshall.ingest import IngestConfig, ingest_bytes
from tests.marshall.ingest.samples import ZTF_DIR, ZTF_PACKET, ztf_negative_object, ztf_packet

from .conftest import CONSORTIUM, OUTSIDER


def _ingest(mconn, blob: bytes) -> None:
    ingest_bytes(mconn, blob, "test", IngestConfig())
    mconn.commit()


def _ingest_real_ztf(mconn, data_dir) -> int:
    _ingest(mconn, (data_dir / ZTF_DIR / "alerts" / ZTF_PACKET).read_bytes())
    return mconn.execute("SELECT transient_id FROM marshall.alias "
                         "WHERE name = 'ZTF17aaajnnn'").fetchone()[0]


def _page(mclient, path: str) -> str:
    answer = mclient.get(path, headers=CONSORTIUM)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_stamps_in_the_list_row_and_on_the_page(mclient, mconn, data_dir):
    tid = _ingest_real_ztf(mconn, data_dir)
    html = _page(mclient, "/marshall/inbox?q=ZTF17aaajnnn")
    row = html.split(f'<tr data-id="{tid}">')[1].split("</tr>")[0]
    urls = re.findall(r'<img src="(/marshall/stamp/\d+\.png)"[^>]*alt="(\w+)"', row)
    assert [kind for _, kind in urls] == ["science", "reference", "difference"]
    page = _page(mclient, f"/marshall/transient/{tid}")
    assert 'alt="difference 472263571115115000"' in page
    answer = mclient.get(urls[2][0], headers=CONSORTIUM)
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data.startswith(b"\x89PNG") and "private" in answer.headers["Cache-Control"]
    again = mclient.get(urls[2][0], headers={**CONSORTIUM, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_stamps_are_not_shown_to_anonymous_callers_or_outsiders(mclient, mconn, data_dir):
    _ingest_real_ztf(mconn, data_dir)
    stamp_id = mconn.execute("SELECT min(stamp_id) FROM marshall.stamp").fetchone()[0]
    path = f"/marshall/stamp/{stamp_id}.png"
    anonymous = mclient.get(path)
    assert anonymous.status_code == 302 and not anonymous.data.startswith(b"\x89PNG")
    assert mclient.get(path, headers=OUTSIDER).status_code == 403
    assert mclient.get("/marshall/stamp/999999.png", headers=CONSORTIUM).status_code == 404


def test_scores_shown_and_filtered_in_the_list(mclient, mconn, data_dir):
    tid = _ingest_real_ztf(mconn, data_dir)            # drb 0.988, rb 0.843
    html = _page(mclient, "/marshall/inbox?drb_min=0.9")
    assert re.findall(r'<tr data-id="(\d+)">', html) == [str(tid)]
    row = html.split(f'<tr data-id="{tid}">')[1].split("</tr>")[0]
    assert "drb 0.99" in row and "rb 0.84" in row and "sg 0.99 @ 0.1″" in row
    assert re.findall(r'<tr data-id="(\d+)">', _page(mclient, "/marshall/inbox?drb_min=0.995")
                      ) == []
    assert "drb 0.99" in _page(mclient, f"/marshall/transient/{tid}")
    answer = mclient.get("/api/lists/inbox/transients?drb_min=0.9&sort=drb", headers=CONSORTIUM)
    assert [(r["name"], round(r["drb"], 2)) for r in answer.get_json()["transients"]] == [
        ("ZTF17aaajnnn", 0.99)]


def test_current_mag_is_a_detection_and_the_limit_is_shown_as_a_limit(mclient, mconn,
                                                                       data_dir):
    _ingest(mconn, ztf_packet(data_dir, [ztf_negative_object(data_dir)]))
    tid = mconn.execute("SELECT transient_id FROM marshall.alias "
                        "WHERE name = 'ZTF26aaanegg'").fetchone()[0]
    html = _page(mclient, "/marshall/inbox?q=ZTF26aaanegg")
    row = html.split(f'<tr data-id="{tid}">')[1].split("</tr>")[0]
    assert re.search(r'class="current-mag">18\.40 r, [\d.]+ d ago<', row)
    assert re.search(r'class="last-limit"[^>]*>&gt; 20\.7 r, [\d.]+ d ago<', row)
    page = _page(mclient, f"/marshall/transient/{tid}")
    assert "&gt; 20.7 r" in page and "negative" in page
    plot = json.loads(re.search(r'id="plot-data">(.*?)</script>', page, re.S).group(1))
    negative = [round(p["mag"], 1) for p in plot["photometry"] if p["negative"]]
    assert negative == [19.0, 19.1, 19.2]
