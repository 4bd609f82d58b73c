"""SIAP 2.0 at /sia/query: pyvo's SIA2Service over the acquisition-camera images."""

from __future__ import annotations

import io

import astropy.units as u
import pytest
import pyvo
import requests
from astropy.coordinates import SkyCoord
from astropy.io import fits, votable
from astropy.time import Time


@pytest.fixture(scope="module")
def sia(vo):
    return pyvo.dal.SIA2Service(f"{vo.url}/sia")


@pytest.fixture(scope="module")
def image(vo):
    (public,) = vo.of_type("image", released=True)
    return public


def _dids(results) -> set[str]:
    return {r["obs_publisher_did"] for r in results}


def test_pyvo_circle_finds_the_image_and_no_spectrum(sia, image):
    results = sia.search(pos=(image.ra * u.deg, image.dec * u.deg, 10 * u.arcsec))
    assert _dids(results) == {image.did}
    assert results[0].dataproduct_type == "image"
    found = SkyCoord(results[0].s_ra, results[0].s_dec)
    assert found.separation(SkyCoord(image.ra, image.dec, unit="deg")) < 1 * u.arcsec


def test_pyvo_range_and_polygon(sia, image):
    box = (image.ra - 0.02, image.ra + 0.02, image.dec - 0.02, image.dec + 0.02)
    assert image.did in _dids(sia.search(pos=box))
    elsewhere = (image.ra + 1, image.ra + 2, image.dec - 0.02, image.dec + 0.02)
    assert image.did not in _dids(sia.search(pos=elsewhere))
    triangle = (image.ra - 0.05, image.dec - 0.05, image.ra + 0.05, image.dec - 0.05,
                image.ra, image.dec + 0.05)
    assert image.did in _dids(sia.search(pos=triangle))


def test_band_time_and_calib(sia, image, vo):
    (record,) = sia.search(publisher_did=image.did)
    em_min, em_max = record["em_min"], record["em_max"]
    assert image.did in _dids(sia.search(band=(em_min * u.m, em_max * u.m)))
    assert image.did not in _dids(sia.search(band=(em_max * 1.5 * u.m, em_max * 2 * u.m)))
    t_min = record["t_min"]
    during = (Time(t_min - 0.001, format="mjd"), Time(t_min + 0.001, format="mjd"))
    assert image.did in _dids(sia.search(time=during))
    before = (Time(t_min - 20, format="mjd"), Time(t_min - 10, format="mjd"))
    assert image.did not in _dids(sia.search(time=before))
    level = int(record["calib_level"])
    assert image.did in _dids(sia.search(pos=(image.ra, image.dec, 0.01), calib_level=level))
    other = 3 if level != 3 else 2
    assert image.did not in _dids(sia.search(pos=(image.ra, image.dec, 0.01), calib_level=other))


def test_string_constraints(sia, image):
    assert _dids(sia.search(publisher_did=image.did)) == {image.did}
    assert image.did in _dids(sia.search(instrument="SOXS", facility="ESO-NTT"))
    assert not _dids(sia.search(instrument="MUSE"))
    assert not _dids(sia.search(data_type="spectrum"))


def test_anonymous_does_not_see_the_proprietary_image(vo):
    (hidden,) = vo.of_type("image", released=False)
    params = {"ID": hidden.did}
    url = f"{vo.url}/sia/query"
    as_admin = {"Authorization": f"Bearer {vo.admin_token}"}
    anonymous, admin = (votable.parse_single_table(io.BytesIO(requests.get(
        url, params=params, timeout=30, headers=headers).content)).to_table()
        for headers in ({}, as_admin))
    assert len(anonymous) == 0
    assert list(admin["obs_publisher_did"]) == [hidden.did]


def test_datalink_leads_to_the_fits_image(sia, image):
    results = sia.search(publisher_did=image.did)
    (links,) = list(results.iter_datalinks())
    # By column, not bysemantics(): that one fetches the IVOA vocabulary from the network.
    (this,) = [link for link in links if link["semantics"] == "#this"]
    with fits.open(this["access_url"], cache=False) as hdus:
        assert hdus[0].header["NAXIS"] == 2


def test_maxrec_overflow_and_metadata(vo):
    url = f"{vo.url}/sia/query"
    # Two images exist, the admin sees both.
    everything = requests.get(url, params={"MAXREC": 1}, timeout=30,
                              headers={"Authorization": f"Bearer {vo.admin_token}"})
    document = votable.parse(io.BytesIO(everything.content))
    statuses = [i.value for i in document.resources[0].infos if i.name == "QUERY_STATUS"]
    assert statuses[-1] == "OVERFLOW"
    empty = votable.parse_single_table(io.BytesIO(
        requests.get(url, params={"MAXREC": 0}, timeout=30).content))
    assert len(empty.array) == 0 and "s_region" in [f.name for f in empty.fields]


@pytest.mark.parametrize(("params", "says"), [
    ({"POS": "CIRCLE 10 20"}, "three numbers"),
    ({"POS": "CIRCLE 10 95 1"}, "latitude"),
    ({"POS": "BOX 1 2 3 4"}, "CIRCLE, RANGE or POLYGON"),
    ({"POS": "RANGE 1 2 5 3"}, "starts after"),
    ({"POS": "POLYGON 1 2 3 4"}, "three"),
    ({"BAND": "red"}, "not a number"),
    ({"TIME": "60001 60000"}, "starts after"),
    ({"FOV": "1 2 3"}, "interval"),
    ({"CALIB": "9"}, "CALIB"),
    ({"POL": "Z"}, "POL"),
    ({"MAXREC": "-3"}, "MAXREC"),
    ({"RESPONSEFORMAT": "csv"}, "VOTable"),
])
def test_bad_input_gets_a_dali_error(vo, params, says):
    answer = requests.get(f"{vo.url}/sia/query", params=params, timeout=30)
    assert answer.status_code == 400
    document = votable.parse(io.BytesIO(answer.content))
    (status,) = [i for i in document.resources[0].infos if i.name == "QUERY_STATUS"]
    assert status.value == "ERROR" and says in status.content


def test_capabilities_and_availability(vo):
    from xml.etree import ElementTree

    root = ElementTree.fromstring(requests.get(f"{vo.url}/sia/capabilities", timeout=30).content)
    (sia,) = root.findall("capability[@standardID='ivo://ivoa.net/std/SIA#query-2.0']")
    assert sia.find("interface/accessURL").text == f"{vo.url}/sia/query"
    availability = requests.get(f"{vo.url}/sia/availability", timeout=30)
    assert b"<vosi:available>true</vosi:available>" in availability.content


def test_answers_pass_votlint(vo, image, votlint):
    for params in ({"POS": f"CIRCLE {image.ra} {image.dec} 0.1"},
                   {"POS": f"CIRCLE {image.ra} {image.dec} 0.1", "RESPONSEFORMAT": "votable/td"},
                   {"POS": "CIRCLE 10 100 1"}):
        assert votlint(requests.get(f"{vo.url}/sia/query", params=params,
                                    timeout=30).content) == "", params


def test_the_site_capabilities_list_sia(vo):
    from xml.etree import ElementTree

    root = ElementTree.fromstring(requests.get(f"{vo.url}/tap/capabilities", timeout=30).content)
    (sia,) = root.findall("capability[@standardID='ivo://ivoa.net/std/SIA#query-2.0']")
    assert sia.find("interface/accessURL").text == f"{vo.url}/sia/query"
