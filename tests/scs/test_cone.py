"""Simple Cone Search 1.03 at /scs/<schema.table>: what pyvo and plain HTTP clients see."""

from __future__ import annotations

import io

import astropy.units as u
import psycopg
import pytest
import pyvo
import requests
from astropy.coordinates import SkyCoord
from astropy.io import votable


def _table(answer: requests.Response):
    assert answer.status_code == 200, answer.text[-500:]
    return votable.parse(io.BytesIO(answer.content)).get_first_table()


def _ucd_fields(table) -> dict[str, str]:
    return {f.ucd: f.name for f in table.fields if f.ucd}


def test_pyvo_conesearch_finds_a_released_product(vo):
    product = vo.of_type("spectrum", released=True)[0]
    results = pyvo.conesearch(f"{vo.url}/scs/ivoa.obscore",
                              SkyCoord(product.ra, product.dec, unit="deg"), radius=5 * u.arcsec)
    mine = [r for r in results if r.id == product.did]
    assert len(mine) == 1
    assert mine[0].pos.separation(SkyCoord(product.ra, product.dec, unit="deg")) < 1 * u.arcsec


def test_scs_service_of_the_marshall_transients(vo):
    with psycopg.connect(vo.settings.database_url) as conn:
        transient_id, ra, dec = conn.execute(
            "SELECT transient_id, ra, dec FROM marshall.transient ORDER BY transient_id "
            "LIMIT 1").fetchone()
    service = pyvo.dal.SCSService(f"{vo.url}/scs/marshall.transient")
    results = service.search(pos=(ra, dec), radius=1 / 3600, verbosity=3)
    assert transient_id in [r.id for r in results]
    assert "context" in results.fieldnames  # VERB=3: every column


def test_required_ucds_appear_once_and_verb_chooses_columns(vo):
    product = vo.of_type("spectrum", released=True)[0]
    widths = {}
    for verb in (1, 2, 3):
        answer = requests.get(f"{vo.url}/scs/ivoa.obscore", params={
            "RA": product.ra, "DEC": product.dec, "SR": 0.001, "VERB": verb}, timeout=30)
        table = _table(answer)
        ucds = [f.ucd for f in table.fields]
        for ucd in ("ID_MAIN", "POS_EQ_RA_MAIN", "POS_EQ_DEC_MAIN"):
            assert ucds.count(ucd) == 1, (verb, ucd)
        assert _ucd_fields(table)["ID_MAIN"] == "obs_publisher_did"
        widths[verb] = len(table.fields)
    assert widths[1] == 3 < widths[2] < widths[3]


def test_nearest_row_comes_first(vo):
    product = vo.of_type("spectrum", released=True)[0]
    answer = requests.get(f"{vo.url}/scs/ivoa.obscore", params={
        "RA": product.ra + 0.01, "DEC": product.dec, "SR": 2, "VERB": 1}, timeout=30)
    rows = _table(answer).to_table()
    centre = SkyCoord(product.ra + 0.01, product.dec, unit="deg")
    distances = SkyCoord(rows["s_ra"], rows["s_dec"], unit="deg").separation(centre).deg
    assert len(rows) > 1 and list(distances) == sorted(distances)


def test_zero_radius_describes_the_columns_without_rows(vo):
    answer = requests.get(f"{vo.url}/scs/marshall.transient",
                          params={"RA": 10, "DEC": 10, "SR": 0}, timeout=30)
    table = _table(answer)
    assert len(table.array) == 0 and "ID_MAIN" in _ucd_fields(table)


def test_anonymous_does_not_see_a_proprietary_product(vo):
    hidden = vo.of_type("spectrum", released=False)[0]
    params = {"RA": hidden.ra, "DEC": hidden.dec, "SR": 0.001, "VERB": 1}
    url = f"{vo.url}/scs/ivoa.obscore"
    anonymous = _table(requests.get(url, params=params, timeout=30)).to_table()
    admin = _table(requests.get(url, params=params, timeout=30, headers={
        "Authorization": f"Bearer {vo.admin_token}"})).to_table()
    assert hidden.did not in list(anonymous["obs_publisher_did"])
    assert hidden.did in list(admin["obs_publisher_did"])


@pytest.mark.parametrize(("params", "says"), [
    ({"DEC": 10, "SR": 0.1}, "RA is missing"),
    ({"RA": 10, "DEC": 10}, "SR is missing"),
    ({"RA": 400, "DEC": 10, "SR": 0.1}, "right ascension"),
    ({"RA": 10, "DEC": -95, "SR": 0.1}, "declination"),
    ({"RA": "ten", "DEC": 10, "SR": 0.1}, "not a number"),
    ({"RA": 10, "DEC": 10, "SR": -1}, "negative"),
    ({"RA": 10, "DEC": 10, "SR": 50}, "at most"),
    ({"RA": 10, "DEC": 10, "SR": "nan"}, "finite"),
    ({"RA": 10, "DEC": 10, "SR": 0.1, "VERB": 7}, "VERB"),
])
def test_bad_input_gets_the_scs_error_document(vo, params, says):
    answer = requests.get(f"{vo.url}/scs/marshall.transient", params=params, timeout=30)
    assert answer.status_code == 200
    document = votable.parse(io.BytesIO(answer.content))
    (error,) = [i for i in document.resources[0].infos if i.name == "Error"]
    assert says in error.value


def test_pyvo_raises_the_error_message(vo):
    service = pyvo.dal.SCSService(f"{vo.url}/scs/marshall.transient")
    with pytest.raises(pyvo.dal.DALQueryError, match="at most"):
        service.search(pos=(10, 10), radius=50)


def test_unknown_table_lists_the_cone_tables(vo):
    answer = requests.get(f"{vo.url}/scs/soxs.nothing",
                          params={"RA": 1, "DEC": 1, "SR": 1}, timeout=30)
    assert answer.status_code == 404
    assert b"marshall.transient" in answer.content and b"ivoa.obscore" in answer.content


def test_capabilities_and_availability(vo):
    from xml.etree import ElementTree

    url = f"{vo.url}/scs/marshall.transient"
    root = ElementTree.fromstring(requests.get(f"{url}/capabilities", timeout=30).content)
    (cone,) = root.findall("capability[@standardID='ivo://ivoa.net/std/ConeSearch']")
    assert cone.find("interface/accessURL").text.rstrip("?") == url
    assert float(cone.find("maxSR").text) == vo.settings.scs.max_sr
    test = cone.find("testQuery")
    answer = requests.get(url, params={"RA": test.find("ra").text, "DEC": test.find("dec").text,
                                       "SR": test.find("sr").text}, timeout=30)
    _table(answer)
    availability = requests.get(f"{url}/availability", timeout=30)
    assert b"<vosi:available>true</vosi:available>" in availability.content


def test_every_answer_passes_votlint(vo, votlint):
    url = f"{vo.url}/scs/ivoa.obscore"
    product = vo.of_type("spectrum", released=True)[0]
    for params in ({"RA": product.ra, "DEC": product.dec, "SR": 0.01, "VERB": 3},
                   {"RA": 10, "DEC": 100, "SR": 0.01}):
        assert votlint(requests.get(url, params=params, timeout=30).content) == ""


def test_every_cone_table_answers(vo):
    from soxsvo.scs.tables import cone_tables

    for table in cone_tables():
        answer = requests.get(f"{vo.url}/scs/{table.name}",
                              params={"RA": 150, "DEC": -30, "SR": 10, "VERB": 3}, timeout=60)
        assert {"ID_MAIN", "POS_EQ_RA_MAIN"} <= set(_ucd_fields(_table(answer))), table.name


def test_the_site_capabilities_list_each_cone_search(vo):
    from xml.etree import ElementTree

    root = ElementTree.fromstring(requests.get(f"{vo.url}/tap/capabilities", timeout=30).content)
    urls = {c.find("interface/accessURL").text.rstrip("?")
            for c in root.findall("capability[@standardID='ivo://ivoa.net/std/ConeSearch']")}
    assert {f"{vo.url}/scs/ivoa.obscore", f"{vo.url}/scs/marshall.transient"} <= urls
