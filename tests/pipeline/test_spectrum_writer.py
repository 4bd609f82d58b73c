"""The Phase 3 1D spectrum writer: layout, keywords, checksums, fidelity to astropy."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from soxsvo.phase3.spectrum import to_hdulist, write_phase3_spectrum
from soxsvo.phase3.validate import validate_product

MANDATORY_PRIMARY = (
    "PRODCATG", "ORIGIN", "TELESCOP", "INSTRUME", "OBJECT", "RA", "DEC", "RADESYS",
    "EXPTIME", "TEXPTIME", "MJD-OBS", "MJD-END", "PROG_ID", "OBID1", "NCOMBINE", "OBSTECH",
    "FLUXCAL", "FLUXERR", "PROCSOFT", "REFERENC", "PROV1", "SPECSYS", "CONTNORM",
    "TOT_FLUX", "WAVELMIN", "WAVELMAX", "SPEC_BIN", "SPEC_RES", "SNR", "PRODLVL", "ASSON1",
    "ASSOC1", "ASSOM1", "CHECKSUM", "DATASUM", "DISPELEM", "M_EPOCH",
)
MANDATORY_EXTENSION = (
    "VOCLASS", "VOPUB", "TITLE", "APERTURE", "TELAPSE", "TMID", "SPEC_VAL", "SPEC_BW",
    "NELEM", "OBJECT", "RA", "DEC", "TDMIN1", "TDMAX1", "TUTYP1", "TUCD1", "CHECKSUM",
    "DATASUM",
)


def test_written_file_is_valid(spectrum_file):
    report = validate_product(spectrum_file)
    assert report.ok, report.to_text()
    assert report.violations == []


def test_layout_and_keywords(spectrum_file, spectrum):
    with fits.open(spectrum_file) as hdul:
        assert len(hdul) == 2
        primary, table = hdul
        assert primary.header["NAXIS"] == 0 and primary.data is None
        for key in MANDATORY_PRIMARY:
            assert key in primary.header, key
        assert primary.header["ESO SEQ ARM"] == "UVVIS"
        assert primary.header["PRODCATG"] == "SCIENCE.SPECTRUM"
        assert isinstance(table, fits.BinTableHDU) and table.name == "SPECTRUM"
        for key in MANDATORY_EXTENSION:
            assert key in table.header, key
        assert "BUNIT" not in primary.header and "BUNIT" not in table.header
        assert not any(k.startswith("CD") and "_" in k for k in table.header)
        assert len(table.data) == 1
        assert table.header["NELEM"] == spectrum.nelem
        assert table.columns.names == ["WAVE", "FLUX", "ERR", "QUAL"]
        assert table.header["TFORM1"] == f"{spectrum.nelem}D"
        assert table.header["TFORM2"] == f"{spectrum.nelem}E"
        assert table.header["TUNIT1"] == "nm"
        assert table.header["TUCD2"] == "phot.flux.density;em.wl"
        assert table.header["TDMIN1"] == pytest.approx(500.0)
        assert table.header["TDMAX1"] == pytest.approx(540.0)


def test_arrays_read_back_identically_in_astropy(spectrum_file, spectrum):
    with fits.open(spectrum_file) as hdul:
        row = hdul[1].data[0]
        np.testing.assert_array_equal(row["WAVE"], spectrum.wave)
        np.testing.assert_array_equal(row["FLUX"], spectrum.flux)
        np.testing.assert_array_equal(row["ERR"], spectrum.err)
        np.testing.assert_array_equal(row["QUAL"], spectrum.qual)


def test_checksums_verify_in_astropy(spectrum_file):
    with fits.open(spectrum_file, checksum=True) as hdul:
        for hdu in hdul:
            assert hdu.verify_checksum() == 1
            assert hdu.verify_datasum() == 1


def test_fast_writer_matches_astropy_reference(tmp_path, spectrum):
    fast, ref = tmp_path / "fast.fits", tmp_path / "ref.fits"
    write_phase3_spectrum(spectrum, fast)
    to_hdulist(spectrum).writeto(ref, checksum=True)
    with fits.open(fast) as a, fits.open(ref) as b:
        for ha, hb in zip(a, b, strict=True):
            keys = [k for k in ha.header if k not in ("CHECKSUM", "DATASUM")]
            assert keys == [k for k in hb.header if k not in ("CHECKSUM", "DATASUM")]
            for k in keys:
                assert ha.header[k] == hb.header[k], k
        assert a[1].header["DATASUM"] == b[1].header["DATASUM"]


def test_snr_column_and_uncalibrated_spectrum(tmp_path, spectrum_factory):
    spec = spectrum_factory(fluxcal="UNCALIBRATED", snr=np.full(401, 10.0, np.float32))
    path = tmp_path / "uncal.fits"
    write_phase3_spectrum(spec, path)
    report = validate_product(path)
    assert report.ok, report.to_text()
    with fits.open(path) as hdul:
        assert hdul[0].header["FLUXERR"] == -1
        assert hdul[1].header["TUCD2"].endswith(";stat.uncalib")
        assert hdul[1].header["TUCD5"] == "stat.snr"


def test_refuses_to_overwrite_when_asked(tmp_path, spectrum):
    path = tmp_path / "x.fits"
    write_phase3_spectrum(spectrum, path)
    with pytest.raises(FileExistsError):
        write_phase3_spectrum(spectrum, path, overwrite=False)


def test_dataclass_rejects_mismatched_arrays(spectrum_factory):
    make_spectrum = spectrum_factory
    with pytest.raises(ValueError, match="flux"):
        make_spectrum(flux=np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="arm"):
        make_spectrum(arm="UVB")
    with pytest.raises(TypeError, match="qual"):
        make_spectrum(qual=np.zeros(401))
