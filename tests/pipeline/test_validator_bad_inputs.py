"""Broken files give violations, never exceptions, and every violation is reported at once."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from p3_products import make_spectrum

from soxsvo.phase3.spectrum import to_hdulist, write_phase3_spectrum
from soxsvo.phase3.validate import validate_product


def test_not_fits(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("hello")
    report = validate_product(path)
    assert not report.ok and report.failed_rules() == {"P3-FILE-001"}


def test_empty_file(tmp_path):
    path = tmp_path / "empty.fits"
    path.write_bytes(b"")
    assert validate_product(path).failed_rules() == {"P3-FILE-001"}


@pytest.mark.parametrize("keep", [100, 2880 * 3 + 17, -2880])
def test_truncated(tmp_path, spectrum_file, keep):
    blob = spectrum_file.read_bytes()
    path = tmp_path / "cut.fits"
    path.write_bytes(blob[:keep])
    report = validate_product(path)
    assert not report.ok
    assert report.failed_rules() & {"P3-FILE-001", "P3-FILE-002"}


def test_missing_extension(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    path = tmp_path / "noext.fits"
    fits.HDUList([hdul[0]]).writeto(path, checksum=True)
    report = validate_product(path, category="SCIENCE.SPECTRUM")
    assert "P3-SPEC-041" in report.failed_rules()


def test_nan_only_flux(tmp_path):
    n = 401
    spec = make_spectrum(flux=np.full(n, np.nan, np.float32),
                         qual=np.full(n, 1, np.int16))
    path = tmp_path / "nan.fits"
    write_phase3_spectrum(spec, path)
    assert "P3-SPEC-055" in validate_product(path).failed_rules()


def test_mismatched_lengths(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    t = hdul[1]
    cols = [fits.Column(name=c.name, format=c.format, unit=c.unit, array=t.data[c.name])
            for c in t.columns]
    cols[2] = fits.Column(name="ERR", format="300E", array=t.data["ERR"][:, :300])
    hdr = fits.Header([c for c in t.header.cards if not c.keyword.startswith(
        ("TTYPE", "TFORM", "TUNIT", "NAXIS", "TFIELDS", "XTENSION", "BITPIX", "PCOUNT",
         "GCOUNT"))])
    hdul[1] = fits.BinTableHDU.from_columns(cols, header=hdr)
    path = tmp_path / "mismatch.fits"
    hdul.writeto(path, checksum=True)
    report = validate_product(path)
    assert "P3-SPEC-044" in report.failed_rules()


def test_wrong_types_and_prodcatg_all_reported(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    hdul[0].header["PRODCATG"] = "SCIENCE.SPECTRA"
    hdul[0].header["EXPTIME"] = ("long", "")
    hdul[0].header["NCOMBINE"] = (1.5, "")
    hdul[1].header["NELEM"] = ("many", "")
    path = tmp_path / "types.fits"
    hdul.writeto(path, checksum=True)
    report = validate_product(path)
    assert report.category == "SCIENCE.SPECTRUM"  # inferred from the layout
    assert {"P3-FILE-004", "P3-KEY-009", "P3-KEY-015", "P3-SPEC-029"} <= report.failed_rules()


def test_in_memory_hdulist(spectrum):
    report = validate_product(to_hdulist(spectrum))
    # No checksums in an unwritten HDU list: that is the only complaint.
    assert report.failed_rules() == {"P3-FILE-005"}


def test_unknown_category_argument(spectrum_file):
    with pytest.raises(ValueError, match="category"):
        validate_product(spectrum_file, category="SCIENCE.CUBE")


def test_report_json_and_text(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    hdul[0].header["ORIGIN"] = "NOAO"
    path = tmp_path / "origin.fits"
    hdul.writeto(path, checksum=True)
    report = validate_product(path)
    data = report.to_dict()
    assert data["ok"] is False and data["n_errors"] == 1
    (v,) = data["violations"]
    assert v == {"rule": "P3-KEY-001", "severity": "error", "hdu": "primary",
                 "keyword": "ORIGIN", "message": "value not allowed", "found": "NOAO",
                 "expected": "'ESO'"}
    assert '"P3-KEY-001"' in report.to_json()
    assert "P3-KEY-001 ERROR [primary] ORIGIN: value not allowed" in report.to_text()


def test_unrelated_resource_warning_is_not_a_violation(tmp_path, monkeypatch):
    """Another object's unclosed file, garbage-collected while a product is being checked,
    warns during the check; that is not a defect of the product."""
    import warnings

    path = tmp_path / "good.fits"
    write_phase3_spectrum(make_spectrum(), path)
    real = fits.HDUList.verify

    def verify_while_collecting(self, *args, **kwargs):
        warnings.warn("unclosed file <_io.BufferedReader name='other.fits'>", ResourceWarning,
                      stacklevel=1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fits.HDUList, "verify", verify_while_collecting)
    report = validate_product(path)
    assert report.ok, report.to_text()
