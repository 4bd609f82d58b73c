"""The fast header reader (phase3/snapshot.py) gives the same validation reports as astropy.

astropy is the reference: for every good and bad product the validator tests build (every
rule's breaking mutation, wrong types, missing keywords, truncated and non-FITS files, bad
cards), the report through :func:`read_product` — the reader registration uses — must equal,
rule by rule, message by message, the report through astropy's :func:`open_product`.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from p3_products import make_spectrum
from test_validator_rules import ALL_CASES, SPEC, base

from soxsvo.archive.prepare import prepare_product
from soxsvo.phase3 import open_product
from soxsvo.phase3.snapshot import SnapshotContext, read_product, read_snapshot
from soxsvo.phase3.spectrum import write_phase3_spectrum
from soxsvo.phase3.validate import validate_context


def both_reports(path, category=None):
    """(report via read_product, report via astropy, whether the snapshot reader was used)."""
    fast = read_product(path)
    try:
        fast_report = validate_context(fast, category=category)
    finally:
        fast.close()
    ref = open_product(path)
    try:
        ref_report = validate_context(ref, category=category)
    finally:
        ref.close()
    return fast_report, ref_report, isinstance(fast, SnapshotContext)


def assert_same(fast, ref):
    assert fast.to_dict() == ref.to_dict()
    assert fast.to_text() == ref.to_text()


def same_headers(path):
    """Every keyword of the snapshot has astropy's value, of astropy's type, in order."""
    snap = read_snapshot(path, path.read_bytes())
    with fits.open(path) as hdul:
        for mine, theirs in ((snap.primary, hdul[0].header), (snap.extension, hdul[1].header)):
            assert list(mine) == list(theirs)
            assert mine.to_fits().tostring() == theirs.tostring()
            for key in theirs:
                if key in ("COMMENT", "HISTORY", ""):
                    continue
                assert mine[key] == theirs[key] and type(mine[key]) is type(theirs[key]), key
        for name in hdul[1].columns.names:
            expected = np.asarray(hdul[1].data[name][0]).ravel()
            np.testing.assert_array_equal(snap.column(name), expected)


CASES = list(ALL_CASES)


@pytest.mark.parametrize(("rule_id", "category", "how", "mutate"), CASES,
                         ids=[f"{rid}-{how}" for rid, _c, how, _m in CASES])
def test_same_report_as_astropy_for_every_breaker(tmp_path, rule_id, category, how, mutate):
    path = mutate(base(category), tmp_path)
    fast, ref, _used = both_reports(path)
    assert rule_id in ref.failed_rules()
    assert_same(fast, ref)


def test_snapshot_reads_most_bad_spectra_itself(tmp_path):
    """Not a vacuous comparison: the fast reader handles the products made invalid by their
    values (wrong types, missing keywords, bad arrays), and leaves the malformed files to
    astropy."""
    used = {}
    for index, (rule_id, category, how, mutate) in enumerate(ALL_CASES):
        if category != SPEC:
            continue
        folder = tmp_path / str(index)
        folder.mkdir()
        path = mutate(base(category), folder)
        used[(rule_id, how)] = isinstance(read_product(path), SnapshotContext)
    assert sum(used.values()) >= 0.8 * len(used), used
    for case in [("P3-SPEC-033", "wrong type"), ("P3-KEY-013", "missing"),
                 ("P3-SPEC-054", "custom"), ("P3-FILE-005", "custom"), ("P3-SPEC-042", "custom"),
                 ("P3-SPEC-045", "custom"), ("P3-KEY-020", "zero-padded")]:
        assert used[case], case
    for case in [("P3-FILE-001", "custom"), ("P3-FILE-002", "custom"),
                 ("P3-FILE-003", "custom"), ("P3-SPEC-040", "custom"), ("P3-SPEC-041", "custom")]:
        assert not used[case], case


@pytest.mark.parametrize("category", [None, "SCIENCE.SPECTRUM", "SCIENCE.IMAGE",
                                      "ANCILLARY.2DSPECTRUM"])
def test_same_report_for_a_good_spectrum_and_any_requested_category(tmp_path, category):
    path = tmp_path / "good.fits"
    write_phase3_spectrum(make_spectrum(), path)
    fast, ref, used = both_reports(path, category)
    assert used
    assert_same(fast, ref)
    same_headers(path)


def _spectrum_bytes(tmp_path):
    path = tmp_path / "good.fits"
    write_phase3_spectrum(make_spectrum(), path)
    return path.read_bytes()


def _replace_card(blob: bytes, keyword: bytes, card: bytes) -> bytes:
    start = blob.index(keyword.ljust(8))
    return blob[:start] + card.ljust(80) + blob[start + 80:]


RAW_EDITS = {
    "not FITS": lambda b: b"hello",
    "empty": lambda b: b"",
    "cut in the primary header": lambda b: b[:100],
    "cut in the table header": lambda b: b[:2880 * 2 + 17],
    "cut in the data": lambda b: b[:-2880],
    "bytes after the table": lambda b: b + b"\0" * 2880,
    "lower-case keyword": lambda b: b.replace(b"TIMESYS =", b"timesys =", 1),
    "equal sign in column 10": lambda b: _replace_card(b, b"TIMESYS", b"TIMESYS  = 'UTC'"),
    "unprintable byte": lambda b: b.replace(b"'UTC     '", b"'UTC\x01    '", 1),
    "non-ASCII byte": lambda b: b.replace(b"'UTC     '", b"'UTC\xe9    '", 1),
    "undefined value": lambda b: _replace_card(b, b"TIMESYS", b"TIMESYS =  / no value"),
    "lower-case exponent": lambda b: _replace_card(b, b"EXPTIME", b"EXPTIME =  1.8e3"),
    "D exponent": lambda b: _replace_card(b, b"EXPTIME", b"EXPTIME =              1.8D3"),
    "integer for a real": lambda b: _replace_card(b, b"EXPTIME", b"EXPTIME =  1800"),
    "quote in a string": lambda b: _replace_card(b, b"OBJECT", b"OBJECT  = 'SN ''26'"),
    "record-valued card": lambda b: _replace_card(b, b"TIMESYS", b"TIMESYS = 'AXIS.1: 2'"),
    "complex value": lambda b: _replace_card(b, b"TIMESYS", b"TIMESYS = (1, 2)"),
    "hierarch lower case": lambda b: b.replace(b"HIERARCH ESO SEQ ARM", b"hierarch ESO SEQ ARM"),
    "hierarch value wrong type": lambda b: b.replace(b"HIERARCH ESO SEQ ARM = 'UVVIS   '",
                                                     b"HIERARCH ESO SEQ ARM = 12".ljust(33)),
    "string not closed": lambda b: _replace_card(b, b"TIMESYS", b"TIMESYS = 'UTC"),
    "logical for an integer": lambda b: _replace_card(b, b"NCOMBINE", b"NCOMBINE=  T"),
    "blank padding as zeros": lambda b: b.replace(b"END" + b" " * 77, b"END" + b"\0" * 77, 1),
    "TSCAL column": lambda b: _replace_card(b, b"TUCD1", b"TSCAL1  = 2.0"),
    "TFORM of zero-padded repeat": lambda b: b.replace(b"'401D    '", b"'0401D   '", 1),
    "NAXIS1 too large": lambda b: b.replace(b"NAXIS1  =                 7218",
                                            b"NAXIS1  =                 7219", 1),
    "GCOUNT logical": lambda b: b.replace(b"GCOUNT  =                    1",
                                          b"GCOUNT  =                    T", 1),
    "EXTEND missing": lambda b: _replace_card(b, b"EXTEND", b"COMMENT   no EXTEND"),
    "comment and history": lambda b: _replace_card(
        _replace_card(b, b"TIMESYS", b"COMMENT   a comment"), b"DISPELEM", b"HISTORY   made"),
    "duplicate keyword": lambda b: _replace_card(b, b"TIMESYS", b"OBJECT  = 'other'"),
}


@pytest.mark.parametrize("edit", RAW_EDITS, ids=list(RAW_EDITS))
def test_same_report_for_malformed_bytes(tmp_path, edit):
    """Truncated, non-FITS, non-standard cards and unusual values: reported as astropy
    reports them (the snapshot reader declines what it cannot read exactly as astropy)."""
    path = tmp_path / "edited.fits"
    path.write_bytes(RAW_EDITS[edit](_spectrum_bytes(tmp_path)))
    fast, ref, used = both_reports(path)
    assert_same(fast, ref)
    if used:
        same_headers(path)


def test_snapshot_values_match_astropy_on_many_spectra(tmp_path):
    for seed, arm in enumerate(["UVVIS", "NIR", "MERGED"]):
        path = tmp_path / f"s{seed}.fits"
        wave = {"UVVIS": 500.0, "NIR": 800.0, "MERGED": 350.0}[arm] + 0.1 * np.arange(401)
        spec = make_spectrum(seed=seed, arm=arm, wave=wave, extra_header={
            "HIERARCH ESO PRO REC1 CAL1 NAME": "MASTER_BIAS_UVVIS.fits",
            "HIERARCH ESO PRO REC1 CAL1 CATG": "MASTER_BIAS"})
        write_phase3_spectrum(spec, path)
        assert isinstance(read_product(path), SnapshotContext)
        same_headers(path)
        fast, ref, _used = both_reports(path)
        assert_same(fast, ref)


def test_prepare_maps_the_same_headers_with_either_reader(tmp_path, monkeypatch):
    """Registration reads its ObsCore values from the snapshot: the same as from astropy."""
    path = tmp_path / "good.fits"
    spec = make_spectrum(extra_header={"HIERARCH ESO PRO REC1 CAL1 NAME": "MB.fits",
                                       "HIERARCH ESO PRO REC1 CAL1 CATG": "MASTER_BIAS"})
    write_phase3_spectrum(spec, path)
    fast = prepare_product(path)
    import soxsvo.phase3.snapshot as snapshot

    monkeypatch.setattr(snapshot, "read_snapshot", lambda path, raw: None)
    ref = prepare_product(path)
    for prepared in (fast, ref):  # times of the call, not of the file
        for key in ("obs_creation_date", "obs_release_date", "data_rights"):
            prepared.mapped["row"].pop(key)
    assert fast.mapped == ref.mapped
    assert (fast.provenance, fast.ancillaries, fast.calibrations) == \
        (ref.provenance, ref.ancillaries, ref.calibrations)
    assert fast.calibrations == (("MB.fits", "MASTER_BIAS"),)
    assert (fast.sha256, fast.md5, fast.size) == (ref.sha256, ref.md5, ref.size)
