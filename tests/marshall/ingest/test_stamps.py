"""Alert stamps: stored at ingestion as the packet carries them, drawn as PNGs, and visible
exactly as their transient is."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits
from matplotlib.image import imread

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader
from soxsvo.marshall.stamps import latest_stamps, render_png, stamp_png, transient_stamps

from .samples import (
    LSST_DIR,
    ZTF_DIR,
    ZTF_PACKET,
    first_record,
    lsst_schema,
    ztf_packet,
    ztf_record,
)

MEMBER = Identity(user="anna", roles=frozenset({"consortium"}))


def _real_ztf(data_dir) -> bytes:
    return (data_dir / ZTF_DIR / "alerts" / ZTF_PACKET).read_bytes()


def _stamps(conn) -> dict[str, bytes]:
    rows = conn.execute("SELECT kind, data FROM marshall.stamp").fetchall()
    conn.commit()
    return {kind: bytes(data) for kind, data in rows}


def test_ztf_cutouts_are_kept_as_the_packet_carries_them(db_conn, ingest, data_dir):
    ingest(_real_ztf(data_dir))
    record = first_record(data_dir / ZTF_DIR / "alerts" / ZTF_PACKET)
    stored = _stamps(db_conn)
    assert stored == {"science": record["cutoutScience"]["stampData"],
                      "reference": record["cutoutTemplate"]["stampData"],
                      "difference": record["cutoutDifference"]["stampData"]}
    name, mjd = db_conn.execute(
        "SELECT DISTINCT s.file_name, s.mjd FROM marshall.stamp s WHERE kind = 'reference'"
    ).fetchone()
    assert name == "candid472263571115115000_ref.fits.gz"
    assert mjd == pytest.approx(record["candidate"]["jd"] - 2400000.5)


def test_reingesting_an_alert_adds_no_stamp(db_conn, ingest, data_dir):
    ingest(_real_ztf(data_dir), _real_ztf(data_dir))
    assert db_conn.execute("SELECT count(*) FROM marshall.stamp").fetchone()[0] == 3


def _rubin_with_cutouts(data_dir, fits_bytes: bytes) -> bytes:
    import fastavro

    record = first_record(data_dir / LSST_DIR / "fakeAlert.avro")
    record["prvDiaSources"] = None
    record.update(cutoutScience=fits_bytes, cutoutTemplate=fits_bytes,
                  cutoutDifference=fits_bytes)
    buffer = io.BytesIO()
    fastavro.writer(buffer, lsst_schema(data_dir), [record])
    return buffer.getvalue()


def test_rubin_cutouts_are_kept(db_conn, ingest, data_dir):
    record = first_record(data_dir / ZTF_DIR / "alerts" / ZTF_PACKET)
    plain = gzip.decompress(record["cutoutScience"]["stampData"])
    ingest(_rubin_with_cutouts(data_dir, plain))
    assert _stamps(db_conn) == dict.fromkeys(("science", "reference", "difference"), plain)
    png = render_png(plain, "science")
    assert imread(io.BytesIO(png)).shape[:2] == (63, 63)    # ZTF's cutout size


def _fits(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    fits.PrimaryHDU(pixels.astype(np.float32)).writeto(buffer)
    return gzip.compress(buffer.getvalue())


def test_png_stretch_shows_the_source_and_the_sign_of_a_difference():
    rng = np.random.default_rng(1)
    sky = rng.normal(100.0, 3.0, (63, 63))
    sky[28:35, 28:35] += 400.0                      # a bright source in the middle
    sky[0, :5] = np.nan                             # blank pixels are drawn, not fatal
    image = imread(io.BytesIO(render_png(_fits(sky), "science")))[..., 0]
    assert image.shape == (63, 63)
    assert image[31, 31] > 0.95 and image[5:20, 5:20].mean() < 0.7
    diff = rng.normal(0.0, 3.0, (63, 63))
    diff[28:35, 28:35] -= 300.0                     # fainter than the reference
    image = imread(io.BytesIO(render_png(_fits(diff), "difference")))[..., 0]
    # Zero difference is mid-grey, the fading source dark.
    assert image[31, 31] < 0.1 and 0.3 < np.median(image) < 0.7


def test_stamps_latest_first_and_in_list_rows(db_conn, ingest, data_dir):
    records = [ztf_record(data_dir, object_id="ZTF26aaaaaaa", candid=100 + i, ra=150.0,
                          dec=2.0, jd=2461365.5 + i, cutouts=True) for i in range(3)]
    ingest(ztf_packet(data_dir, records))
    tid = db_conn.execute("SELECT transient_id FROM marshall.transient").fetchone()[0]
    alerts = transient_stamps(db_conn, tid)
    assert [a["alert_id"] for a in alerts] == ["102", "101", "100"]
    assert set(alerts[0]["stamps"]) == {"science", "reference", "difference"}
    assert latest_stamps(db_conn, [tid])[tid]["alert_id"] == "102"


def test_stamps_follow_the_visibility_of_their_transient(db_conn, ingest, data_dir):
    ingest(_real_ztf(data_dir))
    stamp_id = db_conn.execute("SELECT min(stamp_id) FROM marshall.stamp").fetchone()[0]
    # A consortium-private transient: the same kind of policy as sql/070's, on the transient.
    db_conn.execute("ALTER TABLE marshall.transient ENABLE ROW LEVEL SECURITY")
    db_conn.execute("CREATE POLICY private_transient ON marshall.transient FOR SELECT "
                    "TO soxsvo_reader USING ((SELECT marshall.is_member()))")
    db_conn.commit()
    begin_as_reader(db_conn, 10, ANONYMOUS)
    assert stamp_png(db_conn, stamp_id) is None
    assert db_conn.execute("SELECT count(*) FROM marshall.stamp").fetchone()[0] == 0
    db_conn.rollback()
    begin_as_reader(db_conn, 10, MEMBER)
    png, etag = stamp_png(db_conn, stamp_id)
    assert png.startswith(b"\x89PNG") and etag
    db_conn.rollback()


def test_a_png_is_drawn_once_then_served_from_the_cache(db_conn, ingest, data_dir):
    from soxsvo.marshall import stamps

    ingest(_real_ztf(data_dir))
    stamp_id = db_conn.execute("SELECT max(stamp_id) FROM marshall.stamp").fetchone()[0]
    before = stamps._CACHE.drawn
    first = stamp_png(db_conn, stamp_id)
    again = stamp_png(db_conn, stamp_id)
    db_conn.rollback()
    assert first == again and stamps._CACHE.drawn - before <= 1
