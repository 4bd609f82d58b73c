"""Association of detections with transients: joins, new objects, names and the edge cases."""

from __future__ import annotations

import threading

import psycopg
import pytest

from soxsvo.marshall.ingest import IngestConfig, ingest_bytes, ingest_items, read_alerts
from tests.marshall.ingest import samples
from tests.marshall.ingest.conftest import aliases, table_counts, transients

ARCSEC = 1 / 3600


def ztf(data, object_id, candid, ra, dec, **kw) -> bytes:
    return samples.ztf_packet(data, object_id=object_id, candid=candid, ra=ra, dec=dec, **kw)


def test_real_packet_creates_a_transient_with_its_light_curve(data_dir, ingest,
                                                              db_conn) -> None:
    path = data_dir / samples.ZTF_DIR / "alerts" / samples.ZTF_PACKET
    (summary,) = ingest(path.read_bytes())
    assert (summary.alerts, summary.created, summary.photometry) == (1, 1, 12)
    assert transients(db_conn) == [("ZTF17aaajnnn", pytest.approx(179.6402013),
                                    pytest.approx(52.0297203))]
    assert aliases(db_conn, "ZTF17aaajnnn") == {"ZTF17aaajnnn"}
    row = db_conn.execute(
        "SELECT discovery_survey, discovery_mjd, current_mag_band, last_detection_mjd "
        "FROM marshall.transient").fetchone()
    assert row[0] == "ZTF" and row[2] == "ztf-r" and row[3] == pytest.approx(58226.2635764)


def test_reingesting_the_same_alert_changes_nothing(data_dir, ingest, db_conn) -> None:
    packet = ztf(data_dir, "ZTF26aaaaaab", 101, 150.0, 2.0, history=True)
    ingest(packet)
    before = table_counts(db_conn)
    snapshot = db_conn.execute("SELECT * FROM marshall.transient").fetchall()
    (again,) = ingest(packet)
    assert (again.alerts, again.duplicates, again.created, again.photometry) == (0, 1, 0, 0)
    assert table_counts(db_conn) == before
    assert db_conn.execute("SELECT * FROM marshall.transient").fetchall() == snapshot


def test_second_alert_of_an_object_joins_it(data_dir, ingest, db_conn) -> None:
    ingest(ztf(data_dir, "ZTF26aaaaaac", 201, 150.0, 2.0))
    # A later alert 1" away (another survey, no shared name) joins by position.
    ingest(samples.lsst_packet(data_dir, object_id=9, source_id=202, ra=150.0,
                               dec=2.0 + 1 * ARCSEC))
    assert [t[0] for t in transients(db_conn)] == ["ZTF26aaaaaac"]
    assert aliases(db_conn, "ZTF26aaaaaac") == {"ZTF26aaaaaac", "LSST 9"}


def test_radius_is_configurable(data_dir, db_conn) -> None:
    tight = IngestConfig(radius_arcsec=0.5)
    ingest_bytes(db_conn, ztf(data_dir, "ZTF26aaaaaad", 301, 150.0, 2.0), "a", tight)
    ingest_bytes(db_conn, ztf(data_dir, "ZTF26aaaaaae", 302, 150.0, 2.0 + ARCSEC), "b",
                 tight)
    assert len(transients(db_conn)) == 2


@pytest.mark.parametrize(("first", "second"), [
    ((359.99998, 10.0), (0.00002, 10.0)),            # across RA 0/360, 1.4" apart
    ((0.0, 89.99990), (180.0, 89.99992)),             # across the north pole, 0.65" apart
    ((45.0, -89.99995), (300.0, -89.99995)),          # near the south pole, RA differs a lot
])
def test_joins_across_ra_wrap_and_poles(data_dir, ingest, db_conn, first, second) -> None:
    ingest(ztf(data_dir, "ZTF26aaaaaaf", 401, *first))
    ingest(samples.lsst_packet(data_dir, object_id=41, source_id=402, ra=second[0],
                               dec=second[1]))
    assert [t[0] for t in transients(db_conn)] == ["ZTF26aaaaaaf"]


def test_far_in_ra_near_pole_but_far_on_sky_stays_apart(data_dir, ingest, db_conn) -> None:
    ingest(ztf(data_dir, "ZTF26aaaaaag", 501, 0.0, 89.99))
    ingest(samples.lsst_packet(data_dir, object_id=51, source_id=502, ra=180.0, dec=89.99))
    assert len(transients(db_conn)) == 2  # 72" apart across the pole


def test_two_objects_two_arcsec_apart_keep_their_detections(data_dir, ingest,
                                                            db_conn) -> None:
    dec_b = 2.0 + 2 * ARCSEC
    ingest(ztf(data_dir, "ZTF26aaaaaah", 601, 150.0, 2.0),
           ztf(data_dir, "ZTF26aaaaaai", 602, 150.0, dec_b))
    assert len(transients(db_conn)) == 2
    # Nameless detections 0.6" from each: each joins the nearer object, not the first found.
    ingest(samples.lsst_packet(data_dir, object_id=61, source_id=603, ra=150.0,
                               dec=2.0 + 0.6 * ARCSEC),
           samples.lsst_packet(data_dir, object_id=62, source_id=604, ra=150.0,
                               dec=dec_b - 0.6 * ARCSEC))
    assert aliases(db_conn, "ZTF26aaaaaah") == {"ZTF26aaaaaah", "LSST 61"}
    assert aliases(db_conn, "ZTF26aaaaaai") == {"ZTF26aaaaaai", "LSST 62"}


def test_two_new_objects_in_one_batch_two_arcsec_apart(data_dir, db_conn, config) -> None:
    items = read_alerts(ztf(data_dir, "ZTF26aaaaaaj", 701, 20.0, -5.0), "a")
    items += read_alerts(ztf(data_dir, "ZTF26aaaaaak", 702, 20.0, -5.0 + 2 * ARCSEC), "b")
    items += read_alerts(ztf(data_dir, "ZTF26aaaaaaj", 703, 20.0, -5.0 + 0.3 * ARCSEC), "c")
    summary = ingest_items(db_conn, items, config)
    assert summary.created == 2 and summary.alerts == 3
    assert [t[0] for t in transients(db_conn)] == ["ZTF26aaaaaaj", "ZTF26aaaaaak"]


def test_duplicate_alerts_in_one_file_count_once(data_dir, ingest, db_conn) -> None:
    record = samples.ztf_record(data_dir, object_id="ZTF26aaaaaal", candid=801, ra=30.0,
                                dec=30.0)
    (summary,) = ingest(samples.ztf_packet(data_dir, [record, record]))
    assert (summary.alerts, summary.duplicates, summary.photometry) == (1, 1, 1)
    assert table_counts(db_conn)["alert"] == 1


def test_tns_report_alone_creates_nothing(ingest, db_conn) -> None:
    (summary,) = ingest(samples.tns_csv(150.0, 2.0))
    assert summary.unmatched_reports == 1 and summary.alerts == 0
    assert transients(db_conn) == [] and table_counts(db_conn)["alert"] == 0


def test_tns_name_wins_and_survey_names_stay_aliases(data_dir, ingest, db_conn) -> None:
    ingest(ztf(data_dir, "ZTF26aaabcde", 901, 150.0, 2.0))
    (summary,) = ingest(samples.tns_csv(150.0 + 0.5 * ARCSEC, 2.0))
    assert summary.alerts == 1 and summary.created == 0
    assert [t[0] for t in transients(db_conn)] == ["SN 2026abc"]
    assert aliases(db_conn, "SN 2026abc") == {"SN 2026abc", "ZTF26aaabcde", "ATLAS26xyz"}
    row = db_conn.execute("SELECT classification, redshift FROM marshall.transient").fetchone()
    assert row == ("SN Ia", pytest.approx(0.034))
    # A later ZTF alert of the object finds it by its ZTF alias; the TNS name stays.
    ingest(ztf(data_dir, "ZTF26aaabcde", 902, 150.0, 2.0 + 1.2 * ARCSEC))
    assert [t[0] for t in transients(db_conn)] == ["SN 2026abc"]


def test_tns_report_matches_by_internal_name_beyond_radius(data_dir, ingest,
                                                           db_conn) -> None:
    ingest(ztf(data_dir, "ZTF26aaabcde", 1001, 150.0, 2.0))
    ingest(samples.tns_csv(150.0, 2.0 + 3 * ARCSEC))
    assert [t[0] for t in transients(db_conn)] == ["SN 2026abc"]


def test_gaia_alert_with_tns_id_is_named_by_tns(ingest, db_conn) -> None:
    ingest(samples.gaia_alerts([("Gaia26abc", 10.0, -5.0, 18.0, "AT2026abd")]))
    assert aliases(db_conn, "AT 2026abd") == {"AT 2026abd", "Gaia26abc"}


def test_nameless_atlas_position_gets_a_coordinate_name(ingest, db_conn) -> None:
    ingest(samples.atlas_forced(53.1, -27.9))
    ((name, ra, dec),) = transients(db_conn)
    assert name == "SOXS J033224.00-275400.0"


def test_concurrent_ingest_of_the_same_new_object(data_dir, db_conninfo, config) -> None:
    # Two consumers receive alerts of one new object at the same moment (different candids,
    # a broker duplicate and the survey stream): exactly one transient must result.
    packets = [ztf(data_dir, "ZTF26aaaconc", 1100 + i, 75.0, 15.0 + i * 0.2 * ARCSEC)
               for i in range(6)]
    barrier = threading.Barrier(len(packets))
    errors: list[BaseException] = []

    def consume(packet: bytes) -> None:
        try:
            with psycopg.connect(db_conninfo) as conn:
                items = read_alerts(packet, "stream")
                barrier.wait()
                ingest_items(conn, items, config)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(p,)) for p in packets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM marshall.alert").fetchone()[0] == 6


def test_concurrent_ingest_of_nameless_detections(data_dir, db_conninfo, config) -> None:
    # No shared name to meet on: only the position (and the lock) can keep them together.
    packets = [samples.lsst_packet(data_dir, object_id=1200 + i, source_id=1300 + i,
                                   ra=210.0, dec=54.0 + i * 0.1 * ARCSEC) for i in range(4)]
    barrier = threading.Barrier(len(packets))

    def consume(packet: bytes) -> None:
        with psycopg.connect(db_conninfo) as conn:
            items = read_alerts(packet, "stream")
            barrier.wait()
            ingest_items(conn, items, config)

    threads = [threading.Thread(target=consume, args=(p,)) for p in packets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM marshall.alias").fetchone()[0] == 4
