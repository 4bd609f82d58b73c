"""Negative difference detections (ZTF isdiffpos 'f') are kept and drawn as detections; limits
stay limits."""

from __future__ import annotations

import pytest

from soxsvo.marshall.detail import transient_detail

from .samples import ztf_negative_object, ztf_packet


def test_negative_detections_are_kept_and_have_a_magnitude(db_conn, ingest, data_dir):
    ingest(ztf_packet(data_dir, [ztf_negative_object(data_dir)]))
    tid = db_conn.execute("SELECT transient_id FROM marshall.transient").fetchone()[0]
    points = transient_detail(db_conn, tid)["photometry"]
    detections = [p for p in points if not p["upper_limit"]]
    assert [(round(p["mag"], 2), p["negative"]) for p in detections] == [
        (18.4, False), (19.0, True), (19.1, True), (19.2, True)]
    assert all(p["mag_err"] == pytest.approx(0.08, abs=0.01) for p in detections[1:3])
    limits = [p for p in points if p["upper_limit"]]
    assert [(round(p["mag"], 2), p["negative"]) for p in limits] == [(20.7, False)]


def test_the_current_magnitude_is_the_latest_positive_detection(db_conn, ingest, data_dir):
    ingest(ztf_packet(data_dir, [ztf_negative_object(data_dir)]))
    row = db_conn.execute("SELECT current_mag, current_mag_band, last_limit_mag, "
                          "last_limit_band FROM marshall.transient").fetchone()
    # A negative difference says how much fainter than the reference, not how bright it is.
    assert row == (pytest.approx(18.4, abs=1e-6), "ztf-r", pytest.approx(20.7, abs=1e-6),
                   "ztf-r")
