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


VOTABLE = "application/x-votable+xml"
#: The four SDM 2.0 columns: (unit, UCD, utype), as SSA getData writes them.
SDM_COLUMNS = {
    "WAVE": ("nm", "em.wl", "spec2:Data.SpectralAxis.Value"),
    "FLUX": ("W.m**-2.nm**-1", "phot.flux.density;em.wl", "spec2:Data.FluxAxis.Value"),
    "ERR": ("W.m**-2.nm**-1", "stat.error;phot.flux.density;em.wl",
            "spec2:Data.FluxAxis.Accuracy.StatError"),
    "QUAL": (None, "meta.code.qual", "spec2:Data.FluxAxis.Accuracy.QualityStatus"),
}
ARCHIVED_FLUX_UNIT = u.erg / u.s / u.cm**2 / u.AA


def _soda(server, band: str | None, response_format: str) -> bytes:
    params = {"ID": server.extra_did, "RESPONSEFORMAT": response_format}
    if band is not None:
        params["BAND"] = band
    answer = requests.get(f"{server.url}/soda/sync", params=params, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    return answer.content


def _sdm_table(body: bytes):
    """The spectrum TABLE as astropy reads it (strictly), with its PARAMs by utype."""
    table = votable.parse(io.BytesIO(body), verify="exception").get_first_table()
    return table, {p.utype: p for p in table.params}


def _check_sdm_columns(table) -> None:
    assert table.utype == "spec2:Spectrum"
    assert [f.name for f in table.fields] == list(SDM_COLUMNS)
    for field in table.fields:
        unit, ucd, utype = SDM_COLUMNS[field.name]
        assert (str(field.unit) if field.unit else None, field.ucd, field.utype) == (
            u.Unit(unit).to_string() if unit else None, ucd, utype), field.name


def test_votable_cutout_is_the_sdm2_spectrum_of_the_cut_pixels(datalink_server) -> None:
    # As a client sees it: the cutout descriptor of the DataLink document, processed by pyvo
    # with RESPONSEFORMAT=VOTable, read by astropy; compared with the FITS cutout of the band.
    links = _links(datalink_server, datalink_server.extra_did)
    body = links.get_first_proc().process(BAND=[500e-9, 600e-9],
                                          RESPONSEFORMAT=VOTABLE).read()
    assert votlint(body) == ""
    cut = _check_cutout(_soda(datalink_server, "5e-7 6e-7", "application/fits"), 500.0, 600.0)
    table, params = _sdm_table(body)
    _check_sdm_columns(table)
    rows = table.to_table()
    wave = np.asarray(cut[1].data["WAVE"][0])
    assert len(rows) == cut[1].header["NELEM"] == wave.size
    np.testing.assert_array_equal(rows["WAVE"], wave)
    for column in ("FLUX", "ERR"):
        np.testing.assert_allclose(rows[column].quantity.to_value(ARCHIVED_FLUX_UNIT),
                                   cut[1].data[column][0], rtol=1e-6)
    np.testing.assert_array_equal(rows["QUAL"], cut[1].data["QUAL"][0])
    assert params["spec2:Dataset.DataModel.Name"].value == "Spectrum-2.0"
    assert params["spec2:DataID.DatasetID"].value == datalink_server.extra_did
    assert params["spec2:Dataset.Length"].value == wave.size
    assert params["spec2:Target.Name"].value == cut[0].header["OBJECT"]
    start = params["spec2:Char.SpectralAxis.Coverage.Bounds.Start"]
    stop = params["spec2:Char.SpectralAxis.Coverage.Bounds.Stop"]
    assert start.unit == stop.unit == u.m
    assert 500e-9 <= start.value == pytest.approx(wave[0] * 1e-9)
    assert stop.value == pytest.approx(wave[-1] * 1e-9) and stop.value <= 600e-9
    assert params["spec2:Derived.SNR"].value == pytest.approx(cut[0].header["SNR"])
    # No Spectrum DM 1.0 utype is left.
    assert b'utype="spec:' not in body
    # The access reference asks for the same cutout again.
    again = requests.get(params["spec2:Access.Reference"].value, timeout=60)
    assert again.status_code == 200 and again.content == body


def test_open_interval_votable_cutout(datalink_server) -> None:
    body = _soda(datalink_server, "-Inf 4.2e-7", VOTABLE)
    assert votlint(body) == ""
    table, params = _sdm_table(body)
    _check_sdm_columns(table)
    rows = table.to_table()
    cut = fits.open(io.BytesIO(_soda(datalink_server, "-Inf 4.2e-7", "application/fits")))
    assert len(rows) == cut[1].header["NELEM"] > 10
    assert rows["WAVE"].max() <= 420.0
    assert params["spec2:Char.SpectralAxis.Coverage.Bounds.Stop"].value <= 4.2e-7


def test_whole_band_votable_cutout_is_what_ssa_getdata_writes(datalink_server) -> None:
    # One SDM writer: with no BAND the cutout holds the whole spectrum, and then its columns,
    # rows and the PARAMs SODA knows are those of SSA getData.
    cutout = _soda(datalink_server, None, VOTABLE)
    answer = requests.get(f"{datalink_server.url}/ssa", timeout=60, params={
        "REQUEST": "getData", "FORMAT": "votable", "PUBDID": datalink_server.extra_did})
    assert answer.status_code == 200
    (soda, soda_params), (ssa, ssa_params) = _sdm_table(cutout), _sdm_table(answer.content)
    _check_sdm_columns(soda)
    assert [(f.name, f.datatype, f.unit, f.ucd, f.utype) for f in soda.fields] == [
        (f.name, f.datatype, f.unit, f.ucd, f.utype) for f in ssa.fields]
    soda_rows, ssa_rows = soda.to_table(), ssa.to_table()
    for name in SDM_COLUMNS:
        np.testing.assert_array_equal(soda_rows[name], ssa_rows[name])
    assert set(soda_params) <= set(ssa_params)
    for utype in ("spec2:Dataset.DataModel.Name", "spec2:Dataset.Type", "spec2:Dataset.Length",
                  "spec2:DataID.DatasetID", "spec2:Target.Name", "spec2:DataID.Collection",
                  "spec2:ObsConfig.Instrument.Name", "spec2:CoordSys.SpaceFrame.Name",
                  "spec2:Char.FluxAxis.CalibrationStatus"):
        assert soda_params[utype].value == ssa_params[utype].value, utype
    for utype in ("spec2:Char.SpatialAxis.Coverage.Location.Value",
                  "spec2:Char.TimeAxis.Coverage.Bounds.Start",
                  "spec2:Char.SpectralAxis.Coverage.Bounds.Start",
                  "spec2:Char.SpectralAxis.Coverage.Bounds.Stop"):
        assert soda_params[utype].unit == ssa_params[utype].unit, utype
        np.testing.assert_allclose(soda_params[utype].value, ssa_params[utype].value,
                                   rtol=1e-9, err_msg=utype)


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
