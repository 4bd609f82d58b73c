"""The Marshall's pages as HTML: lists with filters, thumbnails and bulk actions; the object
page's links, escaping and forms."""

from __future__ import annotations

import re

from .conftest import CONSORTIUM


def _page(mclient, path: str) -> str:
    answer = mclient.get(path, headers=CONSORTIUM)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_list_page_rows_counts_and_thumbnails(mclient):
    html = _page(mclient, "/marshall/inbox?page_size=5&sort=name&order=asc")
    assert 'id="count-inbox">12<' in html and 'id="count-followup">0<' in html
    rows = re.findall(r'<tr data-id="(\d+)">', html)
    assert len(rows) == 5
    assert html.count("<svg class=\"lc\"") >= 4    # objects with detections get a thumbnail
    assert "page 1 of 3" in html and 'rel="next"' in html
    names = re.findall(r'class="name">([^<]+)<', html)
    assert names == sorted(names)


def test_filters_narrow_the_list_and_bad_ones_are_reported(mclient, mconn):
    name = mconn.execute("SELECT name FROM marshall.transient ORDER BY transient_id "
                         "LIMIT 1").fetchone()[0]
    html = _page(mclient, f"/marshall/inbox?q={name.split()[1]}")
    assert re.findall(r'class="name">([^<]+)<', html) == [name]
    html = _page(mclient, "/marshall/inbox?radius=2")
    assert "a sky region needs ra" in html


def test_bulk_move_from_the_list_page(mclient, mconn):
    html = _page(mclient, "/marshall/inbox")
    ids = re.findall(r'<tr data-id="(\d+)">', html)[:3]
    answer = mclient.post("/marshall/bulk", headers=CONSORTIUM, data={
        "csrf_token": _token(html), "action": "move", "target": "classification",
        "transient_id": ids, "next": "/marshall/inbox"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/marshall/inbox"
    html = _page(mclient, "/marshall/inbox")
    assert 'id="count-classification">3<' in html and "3 of 3 transients changed" in html
    assert mconn.execute("SELECT count(*) FROM marshall.history WHERE actor = 'anna'"
                         ).fetchone()[0] == 3


def test_object_page_links_and_escaping(mclient, mconn):
    tid = mconn.execute(
        "SELECT ob.transient_id FROM soxs.observation ob JOIN ivoa.obscore o USING (obs_id) "
        "WHERE soxs.is_released(o.obs_release_date) LIMIT 1").fetchone()[0]
    html = _page(mclient, f"/marshall/transient/{tid}")
    dp_id = re.search(r'href="/files/([^"]+)"', html).group(1)
    assert "/datalink/links?ID=ivo%3A%2F%2F" in html
    assert "/vendor/plotly.min.js" in html and "https://" not in html.split("<main>")[0]
    assert 'src="http' not in html                   # no outside scripts
    answer = mclient.post(f"/marshall/transient/{tid}/comment", headers=CONSORTIUM, data={
        "csrf_token": _token(html), "body": "<script>alert(1)</script> @ben"})
    assert answer.status_code == 303
    html = _page(mclient, f"/marshall/transient/{tid}")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; @ben" in html
    assert dp_id in html


def test_refused_move_is_explained(mclient):
    html = _page(mclient, "/marshall/transient/1")
    mclient.post("/marshall/transient/1/move", headers=CONSORTIUM,
                 data={"csrf_token": _token(html), "target": "complete"})
    html = _page(mclient, "/marshall/transient/1")
    assert "moving from inbox to complete is not allowed" in html


def test_object_page_shows_the_chosen_host(mclient, mconn):
    tid = mconn.execute("SELECT transient_id FROM marshall.transient ORDER BY transient_id "
                        "LIMIT 1").fetchone()[0]
    assert 'id="host"' not in _page(mclient, f"/marshall/transient/{tid}")
    mconn.execute(
        "INSERT INTO marshall.crossmatch (transient_id, catalog, kind, source_id, ra, dec, "
        "separation_arcsec, redshift, distance_mpc, projected_kpc, best) VALUES "
        "(%s, 'glade', 'galaxy', 'PGC <12>', 0, 0, 4.2, 0.0312, 137.0, 2.7, true), "
        "(%s, 'glade', 'galaxy', 'PGC 99', 0, 0, 9.0, 0.05, 220.0, 9.5, false)", (tid, tid))
    mconn.commit()
    html = _page(mclient, f"/marshall/transient/{tid}")
    host = re.search(r'<p id="host">(.*?)</p>', html).group(1)
    assert host == "glade PGC &lt;12&gt;, z = 0.0312, 4.2″ (2.7 kpc)"
    assert "PGC 99" not in html
