"""The archive search page: criteria, results as RLS lets the caller see them, paging, escaping."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from soxsvo.access import ANONYMOUS
from soxsvo.archive.search import parse_criteria, search_spectra


def _public(demo_archive):
    with psycopg.connect(demo_archive.database_url) as conn:
        return conn.execute(
            "SELECT dp_id, target_name, s_ra, s_dec, t_min, em_min, em_max FROM ivoa.obscore "
            "WHERE dataproduct_type = 'spectrum' AND soxs.is_released(obs_release_date) "
            "ORDER BY t_min DESC, dp_id").fetchall()


def _listed(html: str) -> list[str]:
    return re.findall(r'href="/files/([^"]+)">FITS<', html)


def test_cone_search_lists_exactly_the_public_spectra_there(client, demo_archive) -> None:
    public = _public(demo_archive)
    dp_id, target, ra, dec = public[0][:4]
    html = client.get(f"/archive?pos={ra} {dec}&radius=5").get_data(as_text=True)
    expected = [p[0] for p in public if abs(p[2] - ra) < 1e-6 and abs(p[3] - dec) < 1e-6]
    assert sorted(_listed(html)) == sorted(expected)
    assert f'src="/preview/{dp_id}.png"' in html
    assert 'alt="No preview of' in html
    assert "/datalink/links?ID=ivo%3A%2F%2F" in html
    assert 'data-samp-mtype="spectrum.load.ssa-generic"' in html


def test_proprietary_spectra_are_not_shown(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        hidden = conn.execute(
            "SELECT dp_id, s_ra, s_dec FROM ivoa.obscore "
            "WHERE NOT soxs.is_released(obs_release_date) LIMIT 1").fetchone()
    if hidden is None:
        pytest.skip("the demo archive has no proprietary spectrum")
    html = client.get(f"/archive?pos={hidden[1]} {hidden[2]}&radius=5").get_data(as_text=True)
    assert hidden[0] not in html


def test_target_name_resolves_through_the_marshall(client, demo_archive) -> None:
    public = _public(demo_archive)
    target = public[0][1]
    html = client.get("/archive", query_string={"target": target.upper()}).get_data(
        as_text=True)
    assert set(_listed(html)) == {p[0] for p in public if p[1] == target}


def test_band_and_dates_filter(client, demo_archive) -> None:
    public = _public(demo_archive)
    html = client.get("/archive?band=halpha").get_data(as_text=True)
    in_band = [p[0] for p in public if p[5] <= 656.3e-9 <= p[6]]
    assert sorted(_listed(html)) == sorted(in_band[:25])
    from astropy.time import Time
    day = Time(public[-1][4], format="mjd").to_datetime().date().isoformat()
    html = client.get(f"/archive?date_from={day}&date_to={day}").get_data(as_text=True)
    assert public[-1][0] in _listed(html)
    assert all(Time(p[4], format="mjd").to_datetime().date().isoformat() == day
               for p in public if p[0] in _listed(html))


def test_paging_walks_every_result_once(demo_archive) -> None:
    public = _public(demo_archive)
    criteria_pages, seen, page = [], [], 1
    with psycopg.connect(demo_archive.database_url) as conn:
        while True:
            result = search_spectra(conn, parse_criteria({"band": "nir", "page": str(page)}),
                                    ANONYMOUS, 10, page_size=4)
            seen += [r.dp_id for r in result.rows]
            criteria_pages.append(len(result.rows))
            if not result.more:
                break
            page += 1
    nir = [p[0] for p in public if p[5] <= 2000e-9 and p[6] >= 800e-9]
    assert seen == nir and len(criteria_pages) > 1


def test_next_page_link_keeps_the_criteria(client, demo_archive) -> None:
    html = client.get("/archive?band=uvvis").get_data(as_text=True)
    if len(_public(demo_archive)) <= 25:
        assert 'rel="next"' not in html
        return
    link = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(link).query) == {"band": ["uvvis"], "page": ["2"]}


def test_bad_criteria_are_explained(client) -> None:
    for query, words in (("pos=nowhere", "position"), ("pos=10 10&radius=-1", "Radius"),
                         ("date_from=31/01/2026", "date"), ("wl_min=900&wl_max=400", "longest")):
        response = client.get(f"/archive?{query}")
        assert response.status_code == 200
        assert re.search(r'class="error" role="alert">[^<]*' + words, response.get_data(
            as_text=True)), query


def test_everything_is_escaped(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        did, old, ra, dec = conn.execute(
            "SELECT obs_publisher_did, target_name, s_ra, s_dec FROM ivoa.obscore "
            "WHERE soxs.is_released(obs_release_date) ORDER BY t_min DESC LIMIT 1").fetchone()
        conn.execute("UPDATE ivoa.obscore SET target_name = %s WHERE obs_publisher_did = %s",
                     ('<script>alert(1)</script>"', did))
    try:
        html = client.get(f"/archive?pos={ra} {dec}&target=<b>x</b>").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    finally:
        with psycopg.connect(demo_archive.database_url) as conn:
            conn.execute("UPDATE ivoa.obscore SET target_name = %s WHERE obs_publisher_did = %s",
                         (old, did))


def test_table_button_carries_a_tap_query_of_the_same_search(client, demo_archive) -> None:
    public = _public(demo_archive)
    ra, dec = public[0][2], public[0][3]
    html = client.get(f"/archive?pos={ra} {dec}&radius=5").get_data(as_text=True)
    url = re.search(r'data-samp-mtype="table.load.votable"\s+data-samp-url="([^"]+)"',
                    html).group(1).replace("&amp;", "&")
    query = parse_qs(urlparse(url).query)["QUERY"][0]
    assert "CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS'" in query
    assert urlparse(url).path == "/tap/sync"
