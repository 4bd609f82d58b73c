"""SODA cutouts through pyvo's service descriptor processing, opened with astropy."""

from __future__ import annotations

import io
from urllib.parse import quote

import astropy.units as u
import numpy as np
import pytest
import requests
from astropy.io import fits, votable
from pyvo.dal.adhoc import DatalinkResults

from soxsvo.phase3.validate import validate_product

from .helpers import by_semantics, dali_error, votlint


def _links(server, did: str) -> DatalinkResults:
    return DatalinkResults.from_result_url(
        f"{server.url}/datalink/links?ID={quote(did, safe='')}")


def _check_cutout(body: bytes, lo_nm: float, hi_nm: float) -> fits.HDUList:
    hdus = fits.open(io.BytesIO(body))
    wave = np.asarray(hdus[1].data["WAVE"][0])
    assert wave.size > 10 and lo_nm <= wave[0] and wave[-1] <= hi_nm
    assert hdus[0].header["WAVELMIN"] == pytest.approx(wave[0])
    assert hdus[0].header["WAVELMAX"] == pytest.approx(wave[-1])
    assert hdus[1].header["NELEM"] == wave.size == hdus[1].data["FLUX"][0].size
    report = validate_product(hdus)
    assert report.ok, report.to_text()
    return hdus


def test_descriptor_advertises_id_and_band_range(datalink_server) -> None:
    links = _links(datalink_server, datalink_server.extra_did)
    proc = links.get_first_proc()
    assert proc.semantics == "#cutout"
    resource = links.get_adhocservice_by_id(proc.service_def)
    inputs = {p.name: p for p in next(g for g in resource.groups
                                      if g.name == "inputParams").entries}
    assert inputs["ID"].value == datalink_server.extra_did
    band = inputs["BAND"]
    assert band.unit == u.m and band.xtype == "interval"
    assert 3.4e-7 < float(band.values.min) < float(band.values.max) < 8.6e-7


def test_cutout_through_pyvo_process(datalink_server) -> None:
    links = _links(datalink_server, datalink_server.extra_did)
    stream = links.get_first_proc().process(BAND=[500e-9, 600e-9])
    hdus = _check_cutout(stream.read(), 500.0, 600.0)
    original = fits.open(io.BytesIO(requests.get(
        next(by_semantics(links, "#this")).getdataurl(), timeout=60).content))
    # The pixels kept are the archived ones, unchanged.
    wave0 = np.asarray(original[1].data["WAVE"][0])
    start = int(np.searchsorted(wave0, hdus[1].data["WAVE"][0][0]))
    kept = hdus[1].data["FLUX"][0]
    np.testing.assert_array_equal(kept, original[1].data["FLUX"][0][start:start + kept.size])
    assert hdus[0].header["OBJECT"] == original[0].header["OBJECT"]


def test_cutout_through_pyvo_soda_record(datalink_server) -> None:
    links = _links(datalink_server, datalink_server.extra_did)
    record = next(by_semantics(links, "#this"))
    stream = record.processed(band=[0.7, 0.75] * u.micron)
    _check_cutout(stream.read(), 700.0, 750.0)


def test_open_interval_and_votable_output(datalink_server) -> None:
    answer = requests.get(f"{datalink_server.url}/soda/sync", timeout=60, params={
        "ID": datalink_server.extra_did, "BAND": "-Inf 4.2e-7",
        "RESPONSEFORMAT": "application/x-votable+xml"})
    assert answer.status_code == 200
    assert votlint(answer.content) == ""
    table = votable.parse_single_table(io.BytesIO(answer.content)).to_table()
    assert table["WAVE"].max() <= 420.0 and len(table) > 10
    spectrum = votable.parse(io.BytesIO(answer.content)).get_first_table()
    utypes = {field.name: field.utype for field in spectrum.fields}
    assert utypes["FLUX"] == "spec:Spectrum.Data.FluxAxis.Value"


@pytest.mark.parametrize(("band", "status", "needle"), [
    ("2e-6 3e-6", 400, "does not overlap"),
    ("6e-7", 400, "two numbers"),
    ("abc def", 400, "two numbers"),
    ("6e-7 5e-7", 400, "above its upper limit"),
    ("NaN 5e-7", 400, "must be numbers"),
])
def test_bad_band(datalink_server, band, status, needle) -> None:
    answer = requests.get(f"{datalink_server.url}/soda/sync", timeout=60,
                          params={"ID": datalink_server.extra_did, "BAND": band})
    assert answer.status_code == status
    assert needle in dali_error(answer.content)


def test_unknown_id_and_missing_id(datalink_server) -> None:
    unknown = requests.get(f"{datalink_server.url}/soda/sync", timeout=60, params={
        "ID": "ivo://eso.org/soxs/ID?ADP.1999-01-01T00:00:00.000", "BAND": "5e-7 6e-7"})
    assert unknown.status_code == 404
    assert "NotFoundFault" in dali_error(unknown.content)
    assert votlint(unknown.content) == ""
    missing = requests.get(f"{datalink_server.url}/soda/sync", params={"BAND": "5e-7 6e-7"},
                           timeout=60)
    assert missing.status_code == 400 and "exactly one ID" in dali_error(missing.content)
