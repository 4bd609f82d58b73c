"""Real clients against `soxsvo serve`: pyvo's SSAService, astropy opening the spectra it
finds, STILTS votlint on every kind of SSA document, and the capabilities that announce SSA."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import astropy.units as u
import numpy as np
import pytest
import pyvo
import requests
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time


@pytest.fixture(scope="module")
def ssa(served_demo):
    return pyvo.dal.SSAService(f"{served_demo}/ssa")


def test_pyvo_search_by_position_opens_the_fits(ssa, released):
    target = released[0]
    results = ssa.search(pos=SkyCoord(target.ra, target.dec, unit="deg"),
                         diameter=10 * u.arcsec, format="fits")
    mine = [r for r in results if r["ssa_pubdid"] == target.pubdid]
    assert len(mine) == 1
    record = mine[0]
    assert record.format == "application/fits"
    position = SkyCoord(record.ra, record.dec, unit="deg")
    assert position.separation(SkyCoord(target.ra, target.dec, unit="deg")) < 5 * u.arcsec
    with fits.open(record.getdataurl(), cache=False) as hdus:
        table = hdus[1].data
        wave = table["WAVE"][0]
        assert hdus[0].header["OBJECT"] == target.target
        assert wave.min() * 1e-9 == pytest.approx(target.em_min, rel=1e-6)


def test_pyvo_search_by_band_and_time(ssa, released):
    band = (1.2e-6, 1.3e-6) * u.m
    results = ssa.search(band=band, format="fits", maxrec=10000)
    expected = {s.pubdid for s in released if s.em_max >= 1.2e-6 and s.em_min <= 1.3e-6}
    assert {r["ssa_pubdid"] for r in results} == expected and expected
    first = min(released, key=lambda s: s.t_min)
    window = Time([first.t_min - 0.01, first.t_max + 0.01], format="mjd")
    in_time = ssa.search(time=window, format="fits", maxrec=10000)
    assert first.pubdid in {r["ssa_pubdid"] for r in in_time}
    assert all(r["ssa_tstart"] <= window[1].mjd and r["ssa_tstop"] >= window[0].mjd
               for r in in_time)


def test_pyvo_sees_the_datalink_descriptor(ssa, released, served_demo):
    results = ssa.search(pos=SkyCoord(released[0].ra, released[0].dec, unit="deg"),
                         diameter=0.01 * u.deg)
    service = results.get_adhocservice_by_ivoid("ivo://ivoa.net/std/DataLink")
    params = {p.name: p.value for p in service.params}
    assert params["accessURL"] == f"{served_demo}/datalink/links"


def test_sdm_votable_row_leads_to_a_spectrum_astropy_reads(ssa, released):
    target = released[2]
    results = ssa.search(pos=SkyCoord(target.ra, target.dec, unit="deg"),
                         diameter=10 * u.arcsec, format="votable")
    (record,) = [r for r in results if r["ssa_pubdid"] == target.pubdid]
    answer = requests.get(record.getdataurl(), timeout=60)
    assert answer.status_code == 200
    table = Table.read(io.BytesIO(answer.content), format="votable")
    assert table["WAVE"].unit == u.nm
    assert np.all(np.diff(table["WAVE"]) > 0)
    assert len(table) == record["ssa_length"]


def _documents(base: str, pubdid: str) -> dict[str, bytes]:
    get = {
        "query tabledata": {"REQUEST": "queryData", "MAXREC": "20"},
        "query binary2": {"REQUEST": "queryData", "MAXREC": "20", "RESPONSEFORMAT": "votable"},
        "query overflow": {"REQUEST": "queryData", "MAXREC": "1"},
        "metadata": {"REQUEST": "queryData", "FORMAT": "metadata"},
        "error": {"REQUEST": "queryData", "POS": "500,0"},
        "getData votable": {"REQUEST": "getData", "FORMAT": "votable", "PUBDID": pubdid},
        "getData tabledata": {"REQUEST": "getData", "FORMAT": "votable", "PUBDID": pubdid,
                              "RESPONSEFORMAT": "votable/td"},
        "getData unknown": {"REQUEST": "getData", "PUBDID": "ivo://nowhere?x"},
    }
    return {name: requests.get(f"{base}/ssa", params=params, timeout=60).content
            for name, params in get.items()}


def test_every_ssa_document_passes_votlint(served_demo, released, votlint):
    for name, document in _documents(served_demo, released[0].pubdid).items():
        assert votlint(document) == "", name


def _ssa_capability(url: str):
    root = ElementTree.fromstring(requests.get(url, timeout=30).content)
    (capability,) = root.findall("capability[@standardID='ivo://ivoa.net/std/SSA']")
    return capability


def test_capabilities_announce_ssa_beside_tap(served_demo):
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}type"
    beside_tap = _ssa_capability(f"{served_demo}/tap/capabilities")
    assert beside_tap.find("interface/accessURL").text == f"{served_demo}/ssa"
    assert beside_tap.get(xsi) is None  # plain: taplint's schemas lack SSA's (docs/ssa.md)
    capability = _ssa_capability(f"{served_demo}/ssa/capabilities")
    assert capability.get(xsi) == "ssa:SimpleSpectralAccess"
    assert capability.find("interface/accessURL").text == f"{served_demo}/ssa"
    assert capability.find("complianceLevel").text == "full"
    query = capability.find("testQuery/queryDataCmd").text
    answer = requests.get(f"{served_demo}/ssa?{query}", timeout=30)
    assert answer.status_code == 200
    assert len(Table.read(io.BytesIO(answer.content), format="votable")) == 1
    availability = requests.get(f"{served_demo}/ssa/availability", timeout=30)
    assert b"<vosi:available>true</vosi:available>" in availability.content
