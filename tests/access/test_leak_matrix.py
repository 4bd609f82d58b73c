"""The leak matrix: every path that shows products or the consortium's work, for every kind of
caller, over real HTTP.

For each path and caller: a proprietary product of another programme is invisible, the public
one visible, one's own visible; the consortium's unpublished classification, redshift, comment,
priority and list are shown to members and admins only, a published classification to everyone
(see ``conftest.py`` for the products, transients and callers).
"""

from __future__ import annotations

import re

import astropy.units as u
import pytest
import pyvo
import requests
from astropy.table import Table
from mocpy import MOC

from .matrix import (
    PASSWORD,
    PLACES,
    PRIVATE_CLASS,
    PRIVATE_COMMENT,
    PRIVATE_LIST,
    PRIVATE_PRIORITY,
    PROGRAMME_A,
    PUBLISHED_CLASS,
    ROLES,
    SURVEY_CLASS,
)

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


# The consortium's work (see conftest.py): an unpublished classification, redshift, comment,
# priority and follow-up list on the transient "private"; a classification reported to TNS on
# "published". Members and admins see the former; everybody sees the latter.

_PRIVATE_MARKERS = (str(PRIVATE_CLASS[1]), PRIVATE_COMMENT)


def _no_private_marker(text: str) -> None:
    for marker in _PRIVATE_MARKERS:
        assert marker not in text, marker


def _expected_transient_classes(archive, role) -> dict[int, tuple]:
    """(classification, redshift) per transient as ``role`` should be shown it."""
    private = PRIVATE_CLASS if archive.sees_consortium_work(role) else SURVEY_CLASS
    return {archive.transients["private"].transient_id: private,
            archive.transients["published"].transient_id: PUBLISHED_CLASS}


def _consortium_queries(archive) -> dict[str, str]:
    ids = ", ".join(str(archive.transients[k].transient_id) for k in ("private", "published"))
    return {
        "transient": "SELECT transient_id, classification, redshift FROM marshall.transient "
                     f"WHERE transient_id IN ({ids})",
        "classification": "SELECT transient_id, type, redshift, reported_to_tns_at "
                          f"FROM marshall.classification WHERE transient_id IN ({ids})",
        # A hand-written aggregate over the private value finds nothing either.
        "count": "SELECT COUNT(*) AS n FROM marshall.classification "
                 f"WHERE redshift BETWEEN {PRIVATE_CLASS[1] - 1e-6} AND {PRIVATE_CLASS[1] + 1e-6}",
    }


def _check_consortium_tap_results(archive, role, results: dict) -> None:
    private = archive.transients["private"].transient_id
    published = archive.transients["published"].transient_id
    # marshall.transient holds the public classification only, for every caller.
    public = {int(r["transient_id"]): (str(r["classification"]), float(r["redshift"]))
              for r in results["transient"]}
    assert public == {private: SURVEY_CLASS, published: PUBLISHED_CLASS}
    classes = {(int(r["transient_id"]), str(r["type"]), float(r["redshift"]))
               for r in results["classification"]}
    expected = {(published, *PUBLISHED_CLASS)}
    if archive.sees_consortium_work(role):
        expected.add((private, *PRIVATE_CLASS))
    assert classes == expected
    assert int(results["count"]["n"][0]) == (1 if archive.sees_consortium_work(role) else 0)


@pytest.mark.parametrize("role", ROLES)
def test_tap_sync_consortium_work(access_archive, access_server, role) -> None:
    service = _tap(access_archive, access_server, role)
    results = {name: service.search(query)
               for name, query in _consortium_queries(access_archive).items()}
    _check_consortium_tap_results(access_archive, role, results)
    # Comments, priorities, lists and history are not published through TAP at all.
    for table in ("comment", "workflow", "history"):
        with pytest.raises(pyvo.dal.DALQueryError, match="unknown table"):
            service.search(f"SELECT * FROM marshall.{table}")


@pytest.mark.parametrize("role", ROLES)
def test_tap_async_consortium_work(access_archive, access_server, role) -> None:
    service = _tap(access_archive, access_server, role)
    results = {name: service.run_async(query, maxrec=100)
               for name, query in _consortium_queries(access_archive).items()}
    _check_consortium_tap_results(access_archive, role, results)


@pytest.mark.parametrize("role", ROLES)
def test_catalogue_hips_tiles_consortium_work(access_archive, access_server, role) -> None:
    import cdshealpix

    from soxsvo.hips.layout import parse_properties, tile_path
    from soxsvo.hips.reader import parse_tsv

    session = access_archive.session(role)
    base = f"{access_server}/hips/catalogue"
    properties = parse_properties(session.get(f"{base}/properties", timeout=60).text)
    expected = _expected_transient_classes(access_archive, role)
    for key in ("private", "published"):
        transient = access_archive.transients[key]
        shown = []
        for order in range(int(properties["hips_order_min"]),
                           int(properties["hips_order"]) + 1):
            ipix = int(cdshealpix.lonlat_to_healpix([transient.ra] * u.deg,
                                                    [transient.dec] * u.deg, order)[0])
            tile = session.get(f"{base}/{tile_path(order, ipix, 'tsv')}", timeout=60)
            if tile.status_code != 200:
                continue
            if not access_archive.sees_consortium_work(role):
                _no_private_marker(tile.text)
            shown += [(row["classification"], float(row["redshift"]))
                      for row in parse_tsv(tile.text)
                      if row["type"] == "transient" and row["name"] == transient.name]
        assert shown == [expected[transient.transient_id]], key
    for allsky in ("Norder1/Allsky.tsv", "Norder2/Allsky.tsv"):
        text = session.get(f"{base}/{allsky}", timeout=60).text
        if not access_archive.sees_consortium_work(role):
            _no_private_marker(text)


@pytest.mark.parametrize("role", ROLES)
def test_rest_api_consortium_work(access_archive, access_server, role) -> None:
    session = access_archive.session(role)
    private = access_archive.transients["private"]
    status = {"anonymous": 401, "pia": 403, "member": 200, "admin": 200}[role]
    detail = session.get(f"{access_server}/api/transients/{private.transient_id}", timeout=60)
    # Filtered on the private class: members find the object by what the consortium said.
    listed = session.get(f"{access_server}/api/lists/{PRIVATE_LIST}/transients", timeout=60,
                         params={"classification": PRIVATE_CLASS[0]})
    history = session.get(f"{access_server}/api/transients/{private.transient_id}/history",
                          timeout=60)
    for answer in (detail, listed, history):
        assert answer.status_code == status, answer.text[:300]
        if status != 200:
            assert answer.headers["Content-Type"] == "application/problem+json"
            _no_private_marker(answer.text)
    if status == 200:
        body = detail.json()
        assert (body["classification"], body["redshift"]) == PRIVATE_CLASS
        assert (body["public_classification"], body["public_redshift"]) == SURVEY_CLASS
        assert (body["list"], body["priority"]) == (PRIVATE_LIST, PRIVATE_PRIORITY)
        assert [c["body"] for c in body["comments"]] == [PRIVATE_COMMENT]
        assert [c["reported_to_tns_at"] for c in body["classifications"]] == [None]
        rows = {t["transient_id"]: t for t in listed.json()["transients"]}
        assert (rows[private.transient_id]["classification"],
                rows[private.transient_id]["redshift"]) == PRIVATE_CLASS


@pytest.mark.parametrize("role", ROLES)
def test_marshall_pages_consortium_work(access_archive, access_server, role) -> None:
    session = access_archive.session(role)
    private = access_archive.transients["private"]
    for path in (f"/marshall/transient/{private.transient_id}", f"/marshall/{PRIVATE_LIST}",
                 "/marshall/inbox?classification=TDE"):
        page = session.get(f"{access_server}{path}", timeout=60, allow_redirects=False)
        if role == "anonymous":
            assert page.status_code == 302 and "/login" in page.headers["Location"], path
        elif role == "pia":
            assert page.status_code == 403, path
        else:
            assert page.status_code == 200, path
        if access_archive.sees_consortium_work(role):
            if "transient/" in path:
                assert PRIVATE_COMMENT in page.text and "TDE" in page.text
            elif path.endswith(PRIVATE_LIST):
                assert private.name in page.text and "z=0.314" in page.text
        else:
            _no_private_marker(page.text)


@pytest.mark.parametrize("role", ROLES)
def test_moc_query_of_transients_shows_public_classes(access_archive, access_server,
                                                      role) -> None:
    # MOC queries show everyone the public classification (members use the Marshall or
    # marshall.classification for their own).
    places = [access_archive.transients[k] for k in ("private", "published")]
    region = MOC.from_lonlat([t.ra for t in places] * u.deg, [t.dec for t in places] * u.deg,
                             max_norder=12)
    answer = access_archive.session(role).post(
        f"{access_server}/moc/query", data={"target": "transients", "fmt": "json"},
        files={"moc": ("region.txt", region.to_string(format="ascii"))}, timeout=60)
    assert answer.status_code == 200, answer.text
    _no_private_marker(answer.text)
    document = answer.json()
    names = [column["name"] for column in document["columns"]]
    found = {row[names.index("transient_id")]: (row[names.index("classification")],
                                                 row[names.index("redshift")])
             for row in document["data"]}
    private = access_archive.transients["private"].transient_id
    published = access_archive.transients["published"].transient_id
    assert (found[private], found[published]) == (SURVEY_CLASS, PUBLISHED_CLASS)


@pytest.mark.parametrize("role", ROLES)
def test_classification_spectrum_is_no_existence_oracle(access_archive, access_server,
                                                        role) -> None:
    # A spectrum one may not see and one that does not exist get the same answer, as /files
    # gives them (the lookup runs under row-level security as the caller).
    session = access_archive.session(role)
    scratch = access_archive.transients["scratch"].transient_id
    url = f"{access_server}/api/transients/{scratch}/classification"
    wanted = {**{key: p.dp_id for key, p in access_archive.products.items()},
              "missing": "ADP.2099-01-01T00:00:00.000"}
    answers = {}
    for key, dp_id in wanted.items():
        answer = session.post(url, json={"type": "SN Ia", "spectrum_dp_id": dp_id}, timeout=60)
        files = session.get(f"{access_server}/files/{dp_id}", timeout=60)
        visible = key in access_archive.visible(role)
        assert files.status_code == (200 if visible else 404), key
        if role in ("anonymous", "pia"):
            # Anonymous: 401 (authentication required); a non-member: 403. Never a look-up.
            assert answer.status_code == {"anonymous": 401, "pia": 403}[role], key
            _no_private_marker(answer.text)
            continue
        assert answer.status_code == (201 if visible else 422), (key, answer.text[:300])
        if not visible:
            answers[key] = answer.json()["detail"].replace(dp_id, "<id>")
    if role in ("anonymous", "pia"):
        return
    # Every hidden product is answered exactly like the missing one.
    assert set(answers) == set(wanted) - access_archive.visible(role)
    assert len(set(answers.values())) == 1, answers
