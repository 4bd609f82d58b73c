"""getData returns the archived Phase 3 FITS byte for byte, or the spectrum as a Spectrum Data
Model VOTable that astropy reads with units, UCDs and utypes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from soxsvo.phase3.spectrum import read_phase3_spectrum


def test_fits_is_the_archived_file_byte_for_byte(client, released):
    spectrum = released[0]
    answer = client.get("/ssa", query_string={"REQUEST": "getData", "FORMAT": "fits",
                                              "PUBDID": spectrum.pubdid})
    assert answer.status_code == 200
    assert answer.mimetype == "application/fits"
    archived = Path(spectrum.file_path).read_bytes()
    assert answer.data == archived
    assert answer.headers["ETag"].strip('"') == hashlib.sha256(archived).hexdigest()
    with fits.open(io.BytesIO(answer.data)) as hdus:
        assert hdus[0].header["PRODCATG"] == "SCIENCE.SPECTRUM"


@pytest.mark.parametrize("serialisation", [None, "votable/td"])
def test_sdm_votable_holds_the_spectrum_with_units_ucds_and_utypes(client, released,
                                                                  serialisation):
    spectrum = released[1]
    params = {"REQUEST": "getData", "FORMAT": "votable", "PUBDID": spectrum.pubdid}
    if serialisation:
        params["RESPONSEFORMAT"] = serialisation
    answer = client.get("/ssa", query_string=params)
    assert answer.status_code == 200
    assert answer.mimetype.startswith("application/x-votable+xml")
    table = Table.read(io.BytesIO(answer.data), format="votable")
    archived = read_phase3_spectrum(spectrum.file_path)
    assert len(table) == archived.nelem
    np.testing.assert_array_equal(table["WAVE"], archived.wave)
    archived_unit = u.erg / u.s / u.cm**2 / u.AA
    for column, values in (("FLUX", archived.flux), ("ERR", archived.err)):
        assert table[column].unit.is_equivalent(archived_unit)
        np.testing.assert_allclose(table[column].quantity.to_value(archived_unit), values,
                                   rtol=1e-6)
    np.testing.assert_array_equal(table["QUAL"], archived.qual)
    assert table["WAVE"].unit == "nm"
    assert table["WAVE"].meta["ucd"] == "em.wl"
    assert table["FLUX"].meta["ucd"] == "phot.flux.density;em.wl"
    assert table["ERR"].meta["ucd"] == "stat.error;phot.flux.density;em.wl"
    from astropy.io import votable

    doc = votable.parse(io.BytesIO(answer.data), verify="exception").get_first_table()
    assert doc.utype == "spec2:Spectrum"
    utypes = {f.name: f.utype for f in doc.fields}
    assert utypes["WAVE"] == "spec2:Data.SpectralAxis.Value"
    assert utypes["FLUX"] == "spec2:Data.FluxAxis.Value"
    assert utypes["ERR"] == "spec2:Data.FluxAxis.Accuracy.StatError"
    params = {p.utype: p.value for p in doc.params}
    assert params["spec2:DataID.DatasetID"] == spectrum.pubdid
    assert params["spec2:Target.Name"] == spectrum.target
    assert params["spec2:Dataset.Length"] == archived.nelem


def test_sdm_votable_becomes_a_specutils_spectrum(client, released):
    # specutils has no VOTable loader (nor one for ESO Phase 3 one-row array tables): the
    # SDM VOTable goes through astropy's Table, whose quantities specutils takes as they are.
    specutils = pytest.importorskip("specutils")
    from astropy.nddata import StdDevUncertainty

    answer = client.get("/ssa", query_string={"REQUEST": "getData", "FORMAT": "votable",
                                              "PUBDID": released[0].pubdid})
    table = Table.read(io.BytesIO(answer.data), format="votable")
    spectrum = specutils.Spectrum(spectral_axis=table["WAVE"].quantity,
                                  flux=table["FLUX"].quantity,
                                  uncertainty=StdDevUncertainty(table["ERR"].quantity))
    assert spectrum.spectral_axis.unit == u.nm
    assert spectrum.flux.unit == u.W / u.m**2 / u.nm
    assert len(spectrum.flux) == len(table) > 1000


def test_sdm_writer_leaves_unknown_facts_out_and_keeps_uncalibrated_counts():
    # The writer SSA and SODA share: a record with only what the caller knows, an
    # uncalibrated spectrum (FLUXCAL=UNCALIBRATED, as the Phase 3 file says it).
    from astropy.io import votable

    from soxsvo.formats.sdm import SpectrumPixels, SpectrumRecord, sdm_votable

    wave = np.linspace(500.0, 600.0, 7)
    pixels = SpectrumPixels(wave, np.arange(7, dtype=">f4"), np.ones(7, dtype=">f4"),
                            np.zeros(7, dtype=">i4"), "UNCALIBRATED")
    record = SpectrumRecord("ivo://eso.org/soxs/ID?ADP.x", "ADP.x", target="SN 2025a")
    body = b"".join(sdm_votable(record, pixels))
    doc = votable.parse(io.BytesIO(body), verify="exception").get_first_table()
    params = {p.name: p.value for p in doc.params}
    assert params["FluxCalibration"] == "UNCALIBRATED"
    assert params["Title"] == "ADP.x" and params["Length"] == 7
    assert not {"AccessReference", "Location", "TimeStart", "SpectralStart", "SNR",
                "CreationDate"} & set(params)
    table = doc.to_table()
    assert str(table["FLUX"].unit) == "adu"
    np.testing.assert_array_equal(table["FLUX"], np.arange(7))
    np.testing.assert_array_equal(table["WAVE"], wave)
