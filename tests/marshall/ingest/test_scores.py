"""The surveys' scores (ZTF rb/drb, sgscore1/distpsnr1, isdiffpos; Rubin reliability and
diaSource flags): stored per alert, the newest on the transient, filtered and sorted in lists."""

from __future__ import annotations

import io

import fastavro
import pytest

from soxsvo.marshall.listing import ListQuery, list_page
from soxsvo.marshall.workflow import WorkflowError

from .samples import (
    LSST_DIR,
    ZTF_DIR,
    ZTF_PACKET,
    first_record,
    lsst_schema,
    ztf_packet,
    ztf_record,
)


def _scores(conn, name: str) -> tuple:
    row = conn.execute(
        "SELECT t.rb, t.drb, t.sgscore1, t.distpsnr1, t.reliability, t.positive, t.flags "
        "FROM marshall.transient t JOIN marshall.alias a USING (transient_id) "
        "WHERE a.name = %s", (name,)).fetchone()
    conn.commit()
    return row


def test_real_ztf_packet_scores(db_conn, ingest, data_dir):
    ingest((data_dir / ZTF_DIR / "alerts" / ZTF_PACKET).read_bytes())
    rb, drb, sg, dist, reliability, positive, flags = _scores(db_conn, "ZTF17aaajnnn")
    # The packet's candidate: rb 0.843, drb 0.988, sgscore1 0.988 at 0.089".
    assert (rb, drb, sg, dist) == pytest.approx((0.8433, 0.9876, 0.9883, 0.0886), abs=1e-4)
    assert reliability is None and positive is True and flags == []


def _ztf(data_dir, object_id, candid, jd, drb, isdiffpos="t", ra=150.0):
    record = ztf_record(data_dir, object_id=object_id, candid=candid, ra=ra, dec=2.0, jd=jd)
    record["candidate"].update(drb=drb, isdiffpos=isdiffpos)
    return record


def test_the_newest_alert_sets_the_scores(db_conn, ingest, data_dir):
    ingest(ztf_packet(data_dir, [_ztf(data_dir, "ZTF26aaaaaaa", 2, 2461366.5, 0.95, "f")]))
    # An older alert ingested later keeps its own scores but does not replace the newest.
    ingest(ztf_packet(data_dir, [_ztf(data_dir, "ZTF26aaaaaaa", 1, 2461365.5, 0.2)]))
    assert _scores(db_conn, "ZTF26aaaaaaa")[1] == pytest.approx(0.95)
    assert _scores(db_conn, "ZTF26aaaaaaa")[5] is False
    assert db_conn.execute("SELECT alert_id, round(drb::numeric, 2)::text, positive "
                           "FROM marshall.alert ORDER BY mjd").fetchall() == [
        ("1", "0.20", True), ("2", "0.95", False)]


def _rubin(data_dir, object_id: int, ra: float, reliability: float, **flags) -> bytes:
    record = first_record(data_dir / LSST_DIR / "fakeAlert.avro")
    record["prvDiaSources"] = None
    record["diaSourceId"] = object_id * 10
    record["diaSource"].update(diaSourceId=object_id * 10, ra=ra, reliability=reliability,
                               **flags)
    record["diaObject"].update(diaObjectId=object_id, ra=ra)
    buffer = io.BytesIO()
    fastavro.writer(buffer, lsst_schema(data_dir), [record])
    return buffer.getvalue()


def test_rubin_reliability_and_flags(db_conn, ingest, data_dir):
    ingest(_rubin(data_dir, 7001, 10.0, 0.42, psfFlux_flag=True, pixelFlags_cr=True,
                  pixelFlags_edge=False),
           _rubin(data_dir, 7002, 20.0, 0.97))
    *_, reliability, positive, flags = _scores(db_conn, "LSST 7001")
    assert reliability == pytest.approx(0.42) and flags == ["psfFlux_flag", "pixelFlags_cr"]
    assert positive is True
    assert _names(db_conn, unflagged="1") == ["LSST 7002"]
    assert _names(db_conn, reliability_min=0.5) == ["LSST 7002"]
    assert _names(db_conn, sort="reliability", order="asc") == ["LSST 7001", "LSST 7002"]


def _names(conn, **query) -> list[str]:
    page = list_page(conn, "inbox", ListQuery(**query))
    conn.commit()
    return [row["name"] for row in page.rows]


def test_lists_filter_and_sort_on_scores(db_conn, ingest, data_dir):
    ingest(ztf_packet(data_dir, [
        _ztf(data_dir, "ZTF26aaaaaaa", 1, 2461365.5, 0.95, ra=150.0),
        _ztf(data_dir, "ZTF26aaaaaab", 2, 2461365.5, 0.50, ra=151.0),
        _ztf(data_dir, "ZTF26aaaaaac", 3, 2461365.5, 0.91, "f", ra=152.0)]))
    assert _names(db_conn, drb_min=0.9, sort="name", order="asc") == [
        "ZTF26aaaaaaa", "ZTF26aaaaaac"]
    assert _names(db_conn, sort="drb", order="desc") == [
        "ZTF26aaaaaaa", "ZTF26aaaaaac", "ZTF26aaaaaab"]
    assert _names(db_conn, sign="negative") == ["ZTF26aaaaaac"]
    assert _names(db_conn, unflagged="1", sgscore_max=1.0, sort="name", order="asc") == [
        "ZTF26aaaaaaa", "ZTF26aaaaaab", "ZTF26aaaaaac"]
    with pytest.raises(WorkflowError, match="sign must be one of"):
        ListQuery.from_args({"sign": "up"}, default_page_size=50, max_page_size=500)
    with pytest.raises(WorkflowError, match="drb_min must be a float"):
        ListQuery.from_args({"drb_min": "high"}, default_page_size=50, max_page_size=500)
