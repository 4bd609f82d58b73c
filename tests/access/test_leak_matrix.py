"""The leak matrix: every path that shows products, for every kind of caller, over real HTTP.

For each path and caller: a proprietary product of another programme is invisible, the public
one visible, one's own visible (see ``conftest.py`` for the products and callers).
"""

from __future__ import annotations

import re

import astropy.units as u
import pytest
import pyvo
import requests
from astropy.table import Table
from mocpy import MOC

from .matrix import PASSWORD, PLACES, PROGRAMME_A, ROLES

KEYS = ("public", "own_a", "consortium", "other")


def _keys_of(archive, dids) -> set[str]:
    by_did = {p.did: key for key, p in archive.products.items()}
    return {by_did[str(d)] for d in dids if str(d) in by_did}


def _did_list(archive) -> str:
    return ", ".join(f"'{p.did}'" for p in archive.products.values())


def _tap(archive, server, role) -> pyvo.dal.TAPService:
    return pyvo.dal.TAPService(f"{server}/tap", session=archive.session(role))


@pytest.mark.parametrize("role", ROLES)
def test_tap_sync(access_archive, access_server, role) -> None:
    service = _tap(access_archive, access_server, role)
    result = service.search("SELECT obs_publisher_did FROM ivoa.obscore "
                            f"WHERE obs_publisher_did IN ({_did_list(access_archive)})")
    assert _keys_of(access_archive, result["obs_publisher_did"]) == access_archive.visible(role)


@pytest.mark.parametrize("role", ROLES)
def test_hand_written_adql_cannot_count_hidden_rows(access_archive, access_server,
                                                    role) -> None:
    # Aggregates, sub-queries and joins all run under the same row-level security.
    service = _tap(access_archive, access_server, role)
    other = access_archive.products["other"]
    query = ("SELECT COUNT(*) AS n FROM ivoa.obscore AS a WHERE EXISTS (SELECT 1 FROM "
             f"ivoa.obscore AS b WHERE b.obs_publisher_did = a.obs_publisher_did AND "
             f"b.dp_id = '{other.dp_id}')")
    n = int(service.search(query)["n"][0])
    assert n == (1 if "other" in access_archive.visible(role) else 0)
    provenance = service.search("SELECT publisher_did FROM soxs.provenance "
                                f"WHERE publisher_did IN ({_did_list(access_archive)})")
    assert _keys_of(access_archive, provenance["publisher_did"]) <= \
        access_archive.visible(role)


@pytest.mark.parametrize("role", ROLES)
def test_tap_upload_join(access_archive, access_server, role) -> None:
    service = _tap(access_archive, access_server, role)
    mine = Table({"did": [p.did for p in access_archive.products.values()]})
    result = service.search("SELECT m.did, o.dp_id FROM TAP_UPLOAD.mine AS m "
                            "JOIN ivoa.obscore AS o ON o.obs_publisher_did = m.did",
                            uploads={"mine": mine})
    assert _keys_of(access_archive, result["did"]) == access_archive.visible(role)


@pytest.mark.parametrize("role", ROLES)
def test_tap_async_runs_with_the_owners_rights(access_archive, access_server, role) -> None:
    service = _tap(access_archive, access_server, role)
    mine = Table({"did": [p.did for p in access_archive.products.values()]})
    result = service.run_async("SELECT o.obs_publisher_did FROM TAP_UPLOAD.mine AS m "
                               "JOIN ivoa.obscore AS o ON o.obs_publisher_did = m.did",
                               uploads={"mine": mine}, maxrec=100)
    assert _keys_of(access_archive, result["obs_publisher_did"]) == \
        access_archive.visible(role)


def test_async_job_and_results_belong_to_their_owner(access_archive, access_server) -> None:
    pia = _tap(access_archive, access_server, "pia")
    job = pia.submit_job("SELECT obs_publisher_did FROM ivoa.obscore "
                         f"WHERE obs_publisher_did = '{access_archive.products['own_a'].did}'")
    job.run()
    job.wait(timeout=60)
    assert job.phase == "COMPLETED"
    assert len(job.fetch_result()) == 1
    result_url = job.result_uri
    for role in ("anonymous", "member"):
        session = access_archive.session(role)
        for url in (job.url, f"{job.url}/phase", f"{job.url}/parameters", result_url):
            answer = session.get(url, timeout=30)
            assert answer.status_code == 403, (role, url)
            assert access_archive.products["own_a"].did not in answer.text
        listed = session.get(f"{access_server}/tap/async", timeout=30).text
        assert job.job_id not in listed
    assert job.job_id in access_archive.session("pia").get(f"{access_server}/tap/async",
                                                           timeout=30).text
    job.delete()


@pytest.mark.parametrize("role", ROLES)
def test_file_downloads(access_archive, access_server, role) -> None:
    session = access_archive.session(role)
    for key, product in access_archive.products.items():
        answer = session.get(f"{access_server}/files/{product.dp_id}", timeout=30)
        if key in access_archive.visible(role):
            assert answer.status_code == 200, (key, answer.text[:200])
            assert answer.content.startswith(b"SIMPLE  =")
            # Only public files may be kept by shared caches.
            assert ("public" in answer.headers["Cache-Control"]) == (key == "public")
        else:
            assert answer.status_code == 404, key
            assert b"SIMPLE" not in answer.content


@pytest.mark.parametrize("role", ROLES)
def test_coverage_moc(access_archive, access_server, role) -> None:
    answer = access_archive.session(role).get(f"{access_server}/moc/space?fmt=json",
                                              timeout=60)
    assert answer.status_code == 200
    moc = MOC.from_string(answer.text, format="json")
    for key, (ra, dec, _) in PLACES.items():
        inside = bool(moc.contains_lonlat([ra] * u.deg, [dec] * u.deg)[0])
        assert inside == (key in access_archive.visible(role)), key


@pytest.mark.parametrize("role", ROLES)
def test_moc_query_of_spectra(access_archive, access_server, role) -> None:
    lon = [ra for ra, _, _ in PLACES.values()] * u.deg
    lat = [dec for _, dec, _ in PLACES.values()] * u.deg
    region = MOC.from_lonlat(lon, lat, max_norder=10)
    answer = access_archive.session(role).post(
        f"{access_server}/moc/query", data={"target": "spectra", "fmt": "json"},
        files={"moc": ("region.txt", region.to_string(format="ascii"))}, timeout=60)
    assert answer.status_code == 200, answer.text
    found = _keys_of(access_archive, [row[0] for row in answer.json()["data"]])
    assert found == access_archive.visible(role) - {"public"}


@pytest.mark.parametrize("role", ROLES)
def test_landing_page(access_archive, access_server, role) -> None:
    page = access_archive.session(role).get(f"{access_server}/", timeout=30).text
    # The three proprietary products are the newest spectra: listed exactly when visible.
    for key in PLACES:
        assert (access_archive.products[key].dp_id in page) == \
            (key in access_archive.visible(role)), key
    shown = int(re.search(r'id="n-spectra">(\d+)<', page).group(1))
    assert shown == _expected_spectra(access_archive, role)


def _expected_spectra(archive, role: str) -> int:
    """Spectra ``role`` may see, counted with the rule written out independently."""
    import psycopg

    extra = {"anonymous": "false", "pia": f"o.proposal_id = '{PROGRAMME_A}'",
             "member": "p.consortium", "admin": "true"}[role]
    with psycopg.connect(archive.settings.database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM ivoa.obscore o LEFT JOIN soxs.programme p USING (proposal_id) "
            "WHERE o.dataproduct_type = 'spectrum' AND ((o.obs_release_date <= "
            f"now() AT TIME ZONE 'UTC' AND o.data_rights <> 'secure') OR {extra})"
        ).fetchone()[0]


def test_a_browser_session_sees_what_the_token_sees(access_archive, access_server) -> None:
    browser = requests.Session()
    page = browser.get(f"{access_server}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{access_server}/login", timeout=30, data={
        "login": "pia", "password": PASSWORD, "next": "/", "csrf_token": csrf})
    assert answer.status_code == 200 and answer.url == f"{access_server}/"
    service = pyvo.dal.TAPService(f"{access_server}/tap", session=browser)
    result = service.search("SELECT obs_publisher_did FROM ivoa.obscore "
                            f"WHERE obs_publisher_did IN ({_did_list(access_archive)})")
    assert _keys_of(access_archive, result["obs_publisher_did"]) == \
        access_archive.visible("pia")
    own = f"{access_server}/files/{access_archive.products['own_a'].dp_id}"
    assert browser.get(own, timeout=30).status_code == 200
    page = browser.get(f"{access_server}/account", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post(f"{access_server}/logout", data={"csrf_token": csrf}, timeout=30)
    assert browser.get(own, timeout=30).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_archive_search_page(access_archive, access_server, role) -> None:
    session = access_archive.session(role)
    for key, (ra, dec, _) in PLACES.items():
        page = session.get(f"{access_server}/archive", timeout=60,
                           params={"pos": f"{ra} {dec}", "radius": "60"})
        assert page.status_code == 200
        assert (access_archive.products[key].dp_id in page.text) == \
            (key in access_archive.visible(role)), key


@pytest.mark.parametrize("role", ROLES)
def test_catalogue_hips_tiles(access_archive, access_server, role) -> None:
    import cdshealpix

    from soxsvo.hips.layout import parse_properties, tile_path
    from soxsvo.hips.reader import parse_tsv

    session = access_archive.session(role)
    base = f"{access_server}/hips/catalogue"
    properties = parse_properties(session.get(f"{base}/properties", timeout=60).text)
    listed = set()
    for ra, dec, _ in PLACES.values():
        for order in range(int(properties["hips_order_min"]),
                           int(properties["hips_order"]) + 1):
            ipix = int(cdshealpix.lonlat_to_healpix([ra] * u.deg, [dec] * u.deg, order)[0])
            tile = session.get(f"{base}/{tile_path(order, ipix, 'tsv')}", timeout=60)
            if tile.status_code == 200:
                listed |= {row["dp_id"] for row in parse_tsv(tile.text)}
    for key in PLACES:
        assert (access_archive.products[key].dp_id in listed) == \
            (key in access_archive.visible(role)), key


@pytest.mark.parametrize("role", ROLES)
def test_ssa_query_and_get_data(access_archive, access_server, role) -> None:
    import io

    from astropy.io import votable

    session = access_archive.session(role)
    for key, product in access_archive.products.items():
        visible = key in access_archive.visible(role)
        found = session.get(f"{access_server}/ssa", timeout=60, params={
            "REQUEST": "queryData", "PUBDID": product.did})
        assert found.status_code == 200, found.text[:300]
        rows = votable.parse_single_table(io.BytesIO(found.content), verify="ignore").array
        assert (product.dp_id in {str(d) for d in rows["dp_id"]}) == visible, key
        data = session.get(f"{access_server}/ssa", timeout=60, params={
            "REQUEST": "getData", "PUBDID": product.did, "FORMAT": "fits"})
        assert data.status_code == (200 if visible else 404), key
        assert data.content.startswith(b"SIMPLE") == visible


@pytest.mark.parametrize("role", ROLES)
def test_rest_api_alerts_needs_a_consortium_token(access_archive, access_server,
                                                 role) -> None:
    # An empty body is bad input: authorised callers get past authentication to a 400.
    answer = access_archive.session(role).post(f"{access_server}/api/alerts", data=b"",
                                               timeout=60)
    expected = {"anonymous": 401, "pia": 403, "member": 400, "admin": 400}[role]
    assert answer.status_code == expected, answer.text[:300]
    assert answer.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", ROLES)
def test_datalink_soda_and_preview(access_archive, access_server, role) -> None:
    import psycopg

    session = access_archive.session(role)
    with psycopg.connect(access_archive.settings.database_url) as conn:
        bands = dict(conn.execute("SELECT dp_id, ARRAY[em_min, em_max] FROM ivoa.obscore"))
    for key, product in access_archive.products.items():
        visible = key in access_archive.visible(role)
        links = session.get(f"{access_server}/datalink/links", params={"ID": product.did},
                            timeout=60)
        assert links.status_code == 200
        assert (f"/files/{product.dp_id}" in links.text) == visible, key
        assert ("NotFoundFault" in links.text) == (not visible), key
        lo, hi = bands[product.dp_id]
        middle = (lo + hi) / 2
        cutout = session.get(f"{access_server}/soda/sync", timeout=120, params={
            "ID": product.did, "BAND": f"{lo} {middle}"})
        assert cutout.status_code == (200 if visible else 404), (key, cutout.text[:300])
        preview = session.get(f"{access_server}/preview/{product.dp_id}.png", timeout=120)
        assert preview.status_code == (200 if visible else 404), key
        assert preview.content.startswith(b"\x89PNG") == visible


@pytest.mark.parametrize("role", ROLES)
def test_eso_provenance_views(access_archive, access_server, role) -> None:
    # ESO's phase3v2 views read products, ancillary files and PROVi as the caller.
    service = _tap(access_archive, access_server, role)
    by_dp_id = {p.dp_id: key for key, p in access_archive.products.items()}
    dp_ids = ", ".join(f"'{d}'" for d in by_dp_id)
    files = service.search("SELECT DISTINCT archive_id FROM phase3v2.files "
                           f"WHERE archive_id IN ({dp_ids})")
    assert {by_dp_id[str(d)] for d in files["archive_id"]} == access_archive.visible(role)
    made_from = service.search("SELECT DISTINCT f.archive_id FROM phase3v2.provenance AS p "
                               "JOIN phase3v2.files AS f ON p.product_file = f.file_id "
                               f"WHERE f.archive_id IN ({dp_ids})")
    assert {by_dp_id[str(d)] for d in made_from["archive_id"]} == access_archive.visible(role)
