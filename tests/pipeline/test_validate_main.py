"""main(), the body of ``soxsvo validate``: exit 0 (valid) or 2 (invalid, usage)."""

from __future__ import annotations

import io
import json

from astropy.io import fits

from soxsvo.phase3.spectrum import to_hdulist
from soxsvo.phase3.validate import main


def _run(paths, as_json=False):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(p) for p in paths], as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _invalid(tmp_path, spectrum):
    hdul = to_hdulist(spectrum)
    hdul[0].header["TELESCOP"] = "ESO-VLT-U2"
    hdul[0].header["SPECSYS"] = ("HELIOCEN", "")
    del hdul[1].header["VOPUB"]
    path = tmp_path / "bad.fits"
    hdul.writeto(path, checksum=True)
    return path


def test_all_valid(spectrum_file):
    code, out, _ = _run([spectrum_file])
    assert code == 0 and "OK" in out


def test_some_invalid_prints_every_violation(tmp_path, spectrum, spectrum_file):
    bad = _invalid(tmp_path, spectrum)
    code, out, _ = _run([spectrum_file, bad])
    assert code == 2
    for rule in ("P3-KEY-002", "P3-SPEC-002", "P3-SPEC-022"):
        assert rule in out
    assert "INVALID" in out


def test_json_output(tmp_path, spectrum, spectrum_file):
    bad = _invalid(tmp_path, spectrum)
    code, out, _ = _run([spectrum_file, bad], as_json=True)
    assert code == 2
    reports = json.loads(out)
    assert [r["ok"] for r in reports] == [True, False]
    assert {v["rule"] for v in reports[1]["violations"]} == {
        "P3-KEY-002", "P3-SPEC-002", "P3-SPEC-022"}


def test_usage_errors(tmp_path, spectrum_file):
    code, _, err = _run([])
    assert code == 2 and "usage" in err
    code, _, err = _run([spectrum_file, tmp_path / "missing.fits"])
    assert code == 2 and "missing.fits" in err


def test_non_fits_is_invalid_not_usage(tmp_path):
    path = tmp_path / "x.fits"
    fits.HDUList([fits.PrimaryHDU()]).writeto(path)
    path.write_bytes(b"garbage")
    code, out, _ = _run([path])
    assert code == 2 and "P3-FILE-001" in out
