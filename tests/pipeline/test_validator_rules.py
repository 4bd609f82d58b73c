"""Every validator rule fails on a product made to break it and passes on a valid one.

Parametrised over the registry: a rule without a breaking mutation here fails
``test_every_rule_has_a_breaker``, so no rule goes untested.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from p3_products import image_hdulist, make_spectrum, twod_hdulist

from soxsvo.phase3 import REGISTRY
from soxsvo.phase3.spectrum import to_hdulist
from soxsvo.phase3.validate import validate_product

SPEC, IMG, ANC = "SCIENCE.SPECTRUM", "SCIENCE.IMAGE", "ANCILLARY.2DSPECTRUM"


def base(category: str) -> fits.HDUList:
    if category == IMG:
        return image_hdulist()
    if category == ANC:
        return twod_hdulist()
    return to_hdulist(make_spectrum())


def rewrite(hdul: fits.HDUList, path, checksum: bool = True):
    hdul.writeto(path, checksum=checksum, overwrite=True, output_verify="ignore")
    return path


# --- mutations: take (HDUList, tmp_path) and return the path to validate -----------------

def header_edit(hdu: int, **changes):
    def mutate(hdul, tmp):
        for key, value in changes.items():
            key = key.replace("__", "-").replace("_SP_", " ")
            if value is DELETE:
                del hdul[hdu].header[key]
            else:
                hdul[hdu].header[key] = (value, "")  # drop the comment: no truncation warning
        return rewrite(hdul, tmp / "m.fits")
    return mutate


DELETE = object()


def data_edit(func):
    def mutate(hdul, tmp):
        func(hdul)
        return rewrite(hdul, tmp / "m.fits")
    return mutate


def raw_bytes(func):
    def mutate(hdul, tmp):
        path = rewrite(hdul, tmp / "m.fits")
        path.write_bytes(func(path.read_bytes()))
        return path
    return mutate


def without_checksum(hdul, tmp):
    return rewrite(hdul, tmp / "m.fits", checksum=False)


def with_columns(change):
    """Rebuild the spectrum table with modified column definitions."""
    def mutate(hdul, tmp):
        old = hdul[1]
        cols = [fits.Column(name=c.name, format=c.format, unit=c.unit,
                            array=old.data[c.name]) for c in old.columns]
        cols = change(cols, old)
        keep = fits.Header([c for c in old.header.cards if not c.keyword.startswith(
            ("TTYPE", "TFORM", "TUNIT", "NAXIS", "TFIELDS", "XTENSION", "BITPIX", "PCOUNT",
             "GCOUNT", "TDIM"))])
        hdul[1] = fits.BinTableHDU.from_columns(cols, header=keep)
        return rewrite(hdul, tmp / "m.fits")
    return mutate


def _qual_as_float(cols, old):
    n = old.header["NELEM"]
    cols[3] = fits.Column(name="QUAL", format=f"{n}E", array=old.data["QUAL"].astype("f4"))
    return cols


def _rename_qual(cols, old):
    cols[3].name = "QUALITY"
    return cols


def _two_rows(cols, old):
    return [fits.Column(name=c.name, format=c.format, unit=c.unit,
                        array=np.concatenate([c.array, c.array])) for c in cols]


def _set_column(name, values):
    def f(hdul):
        hdul[1].data[name][0][:] = values(hdul[1].data[name][0])
    return f


def _wave_unit_speed(hdul):
    hdul[1].columns["WAVE"].unit = "m/s"


def _nan_flux_at_good_pixel(hdul):
    hdul[1].data["FLUX"][0][10] = np.nan


def _primary_with_data(hdul):
    hdul[0] = fits.PrimaryHDU(data=np.zeros((2, 2)), header=hdul[0].header)


def _extra_extension(hdul):
    hdul.append(fits.ImageHDU(np.zeros((2, 2)), name="EXTRA"))


def _one_d_image(hdul):
    hdul[0] = fits.PrimaryHDU(data=np.zeros(10, np.float32), header=hdul[0].header)


def _truncate(blob: bytes) -> bytes:
    return blob[: len(blob) - 4000]


BREAKERS = {
    "P3-FILE-001": (SPEC, raw_bytes(lambda b: b"this is not FITS" * 200)),
    "P3-FILE-002": (SPEC, raw_bytes(_truncate)),
    "P3-FILE-003": (SPEC, raw_bytes(lambda b: b.replace(b"TIMESYS =", b"timesys =", 1))),
    "P3-FILE-004": (SPEC, header_edit(0, PRODCATG="SCIENCE.SPECTRA")),
    "P3-FILE-005": (SPEC, without_checksum),
    "P3-KEY-008": (SPEC, header_edit(0, RADESYS="FK5")),
    "P3-KEY-023": (SPEC, header_edit(0, ASSOC1=DELETE)),
    "P3-KEY-024": (SPEC, header_edit(0, SINGLEXP=False)),
    "P3-KEY-025": (SPEC, header_edit(0, MJD__END=61000.0)),
    "P3-KEY-026": (SPEC, header_edit(0, EXPTIME=3600.0)),
    "P3-KEY-027": (SPEC, header_edit(0, NCOMBINE=3)),
    "P3-SPEC-040": (SPEC, data_edit(_primary_with_data)),
    "P3-SPEC-041": (SPEC, data_edit(_extra_extension)),
    "P3-SPEC-042": (SPEC, with_columns(_two_rows)),
    "P3-SPEC-043": (SPEC, with_columns(_rename_qual)),
    "P3-SPEC-044": (SPEC, header_edit(1, NELEM=400)),
    "P3-SPEC-045": (SPEC, with_columns(_qual_as_float)),
    "P3-SPEC-046": (SPEC, data_edit(_wave_unit_speed)),
    "P3-SPEC-047": (SPEC, header_edit(1, TUTYP2="spec:Data.FluxAxis.Accuracy.StatError")),
    "P3-SPEC-048": (SPEC, header_edit(1, TUCD1="em.freq")),
    "P3-SPEC-049": (SPEC, header_edit(0, BUNIT="adu")),
    "P3-SPEC-050": (SPEC, header_edit(0, WAVELMIN=510.0)),
    "P3-SPEC-051": (SPEC, header_edit(1, TDMAX1=560.0)),
    "P3-SPEC-052": (SPEC, header_edit(1, SPEC_VAL=700.0)),
    "P3-SPEC-053": (SPEC, header_edit(0, SPEC_BIN=0.3)),
    "P3-SPEC-054": (SPEC, data_edit(_set_column("WAVE", lambda w: w[::-1].copy()))),
    "P3-SPEC-055": (SPEC, data_edit(_set_column("FLUX", lambda f: np.nan))),
    "P3-SPEC-056": (SPEC, data_edit(_set_column("ERR", lambda e: -e))),
    "P3-SPEC-057": (SPEC, data_edit(_nan_flux_at_good_pixel)),
    "P3-SPEC-058": (SPEC, header_edit(0, SNR=100.0)),
    "P3-SPEC-059": (SPEC, header_edit(1, TELAPSE=10.0)),
    "P3-SPEC-060": (SPEC, header_edit(1, OBJECT="AT 2026zzz")),
    "P3-SPEC-061": (SPEC, header_edit(0, FLUXCAL="UNCALIBRATED")),
    "P3-SPEC-062": (SPEC, header_edit(1, TUTYP4="eso:Data.FluxAxis.Value")),
    "P3-SPEC-063": (SPEC, header_edit(0, HIERARCH_SP_ESO_SP_SEQ_SP_ARM="NIR")),
    "P3-SPEC-064": (SPEC, raw_bytes(_truncate)),
    "P3-IMG-003": (IMG, data_edit(_one_d_image)),
    "P3-IMG-004": (IMG, header_edit(0, CD1_1=DELETE)),
    "P3-IMG-005": (IMG, header_edit(0, CUNIT1="arcsec")),
    "P3-IMG-013": (IMG, header_edit(0, CRDER1=DELETE)),
    "P3-IMG-014": (IMG, header_edit(0, CSYER2="large")),
    "P3-IMG-015": (IMG, header_edit(0, ABMAGSAT=22.0)),
    "P3-IMG-016": (IMG, header_edit(0, WAVELMIN=350.0)),
    "P3-ANC-001": (ANC, data_edit(_one_d_image)),
    "P3-ANC-002": (ANC, header_edit(0, CTYPE1="PIXEL")),
}

WRONG_TYPE = {"str": 12345, "float": "not a number", "int": 1.5, "bool": "T"}


def keyword_breakers():
    """(rule id, category, mutation) for the generic keyword rules: wrong type, missing."""
    cases = []
    for rule in REGISTRY.values():
        category = rule.categories[0]
        hdu = 1 if rule.hdu == "extension" else 0
        if rule.info.get("keyword_rule"):
            key = rule.keyword
            if " " in key:
                key = "HIERARCH " + key
            kind = rule.info["kind"]
            cases.append((rule.id, category, "wrong type",
                          _set_header(hdu, key, WRONG_TYPE[kind])))
            if rule.info["mandatory"]:
                cases.append((rule.id, category, "missing", _set_header(hdu, key, DELETE)))
        elif rule.info.get("indexed_rule"):
            prefix = rule.info["prefix"]
            cases.append((rule.id, category, "zero-padded",
                          _rename_header(f"{prefix}1", f"{prefix}01")))
            cases.append((rule.id, category, "wrong type",
                          _set_header(0, f"{prefix}1", WRONG_TYPE["float"] if
                                      rule.info["kind"] != "float" else "x")))
            cases.append((rule.id, category, "missing", _set_header(0, f"{prefix}1", DELETE)))
    return cases


def _set_header(hdu, key, value):
    def mutate(hdul, tmp):
        if value is DELETE:
            del hdul[hdu].header[key]
        else:
            hdul[hdu].header[key] = (value, "")
        return rewrite(hdul, tmp / "m.fits")
    return mutate


def _rename_header(old, new):
    def mutate(hdul, tmp):
        hdul[0].header.rename_keyword(old, new)
        return rewrite(hdul, tmp / "m.fits")
    return mutate


ALL_CASES = keyword_breakers() + [(rid, cat, "custom", m) for rid, (cat, m) in BREAKERS.items()]


def test_every_rule_has_a_breaker():
    covered = {rid for rid, *_ in ALL_CASES}
    assert covered == set(REGISTRY), sorted(set(REGISTRY) ^ covered)


def test_rules_are_documented():
    for rule in REGISTRY.values():
        assert rule.description and rule.title, rule.id
        assert rule.id.startswith("P3-")


@pytest.mark.parametrize("category", [SPEC, IMG, ANC])
def test_valid_products_pass(tmp_path, category):
    report = validate_product(rewrite(base(category), tmp_path / "ok.fits"))
    assert report.ok and report.violations == [], report.to_text()
    assert report.category == category


@pytest.mark.parametrize(("rule_id", "category", "how", "mutate"), ALL_CASES,
                         ids=[f"{rid}-{how}" for rid, _c, how, _m in ALL_CASES])
def test_rule_catches_its_violation(tmp_path, rule_id, category, how, mutate):
    path = mutate(base(category), tmp_path)
    report = validate_product(path)
    assert rule_id in report.failed_rules(), report.to_text()
    hits = [v for v in report.violations if v.rule_id == rule_id]
    assert all(v.message for v in hits)
