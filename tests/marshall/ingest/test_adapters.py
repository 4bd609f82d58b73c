"""Each adapter against its survey's real format: what a scientist would read off the alert."""

from __future__ import annotations

import math

import pytest

from soxsvo.marshall.ingest import AlertFormatError, Detection, Event, read_alerts
from soxsvo.marshall.ingest.model import mag_to_ujy
from tests.marshall.ingest import samples


@pytest.fixture
def ztf_alerts(data_dir):
    return data_dir / samples.ZTF_DIR / "alerts"


def test_real_ztf_packet_gives_object_detections_and_limits(ztf_alerts) -> None:
    path = ztf_alerts / samples.ZTF_PACKET
    (alert,) = read_alerts(path.read_bytes(), str(path))
    assert (alert.source, alert.object_name, alert.alert_id) == (
        "ztf", "ZTF17aaajnnn", "472263571115115000")
    assert alert.ra == pytest.approx(179.6402013) and alert.dec == pytest.approx(52.0297203)
    latest = alert.photometry[0]
    assert latest.band == "ztf-r" and latest.mjd == pytest.approx(58226.2635764)
    assert latest.orig_value == pytest.approx(18.36185646)
    assert latest.flux_ujy == pytest.approx(10 ** ((23.9 - 18.36185646) / 2.5))
    assert latest.flux_err_ujy == pytest.approx(latest.flux_ujy * 0.0940405 * math.log(10)
                                                / 2.5, rel=1e-5)
    # 11 previous candidates: each either a detection or a non-detection with its limit.
    assert len(alert.photometry) == 12
    limits = [p for p in alert.photometry if p.upper_limit]
    assert limits and all(p.flux_err_ujy is None and p.orig_unit.endswith("limit")
                          for p in limits)
    assert limits[0].flux_ujy == pytest.approx(mag_to_ujy(18.8346004486084))


def test_ztf_negative_difference_is_a_negative_flux(ztf_alerts) -> None:
    path = ztf_alerts / "2019_01_10_739260766315010006.avro"
    (alert,) = read_alerts(path.read_bytes(), str(path))
    assert alert.object_name == "ZTF17aaacxxf"
    latest = alert.photometry[0]
    assert latest.flux_ujy < 0 and "negative" in latest.orig_unit
    assert len(alert.photometry) == 29


def test_real_rubin_alert_fluxes_from_njy(data_dir) -> None:
    path = data_dir / samples.LSST_DIR / "fakeAlert.avro"
    (alert,) = read_alerts(path.read_bytes(), str(path))
    assert alert.source == "lsst" and alert.object_name == "LSST 281323062375219201"
    assert alert.alert_id == "1231321321"
    point = alert.photometry[0]
    assert point.band == "lsst-r"
    assert (point.flux_ujy, point.flux_err_ujy) == pytest.approx((1.241, 0.012))
    assert (point.orig_value, point.orig_unit) == (1241.0, "nJy diaSource")
    assert len(alert.photometry) == 3  # the source and its two previous sources


def test_generated_ztf_and_rubin_packets_round_trip(data_dir) -> None:
    ztf = samples.ztf_packet(data_dir, object_id="ZTF26aaaaaaa", candid=1, ra=0.0001,
                             dec=-89.9)
    (alert,) = read_alerts(ztf, "generated.avro")
    assert alert.object_name == "ZTF26aaaaaaa" and alert.dec == -89.9
    rubin = samples.lsst_packet(data_dir, object_id=77, source_id=78, ra=359.99, dec=1.0)
    (alert,) = read_alerts(rubin, "rubin.avro")
    assert alert.object_name == "LSST 77" and alert.photometry[0].flux_ujy == 5.0


def test_tns_csv_and_json() -> None:
    (report,) = read_alerts(samples.tns_csv(150.1, 2.2), "tns_public_objects.csv")
    assert report.tns_name == "SN 2026abc" and not report.creates_objects
    assert report.classification == "SN Ia" and report.redshift == pytest.approx(0.034)
    assert report.aliases == [("ZTF26aaabcde", "ZTF"), ("ATLAS26xyz", "ATLAS")]
    (reply,) = read_alerts(samples.tns_json(10.0, -5.0), "object.json")
    assert reply.tns_name == "AT 2026abd" and (reply.ra, reply.dec) == (10.0, -5.0)
    assert reply.aliases == [("Gaia26abc", "Gaia")] and reply.classification is None


def test_atlas_forced_photometry_keeps_limits() -> None:
    (curve,) = read_alerts(samples.atlas_forced(53.1, -27.9), "ATLAS26abc.txt")
    assert curve.object_name == "ATLAS26abc" and curve.survey == "ATLAS"
    detections = [p for p in curve.photometry if not p.upper_limit]
    assert [(p.band, p.flux_ujy, p.flux_err_ujy) for p in detections] == [
        ("atlas-o", 239.0, 4.0), ("atlas-c", 206.0, 6.0)]
    (limit,) = [p for p in curve.photometry if p.upper_limit]
    assert limit.orig_value == 19.6 and limit.flux_ujy == pytest.approx(mag_to_ujy(19.6))


def test_gaia_alerts_vega_to_ab() -> None:
    data = samples.gaia_alerts([("Gaia26abc", 10.0, -5.0, 18.0, "AT2026abd"),
                                ("Gaia26abd", 11.0, -6.0, 17.5, "")])
    first, second = read_alerts(data, "alerts.csv")
    assert first.tns_name == "AT 2026abd" and second.tns_name is None
    (point,) = first.photometry
    assert point.orig_value == 18.0 and point.orig_unit == "mag(Vega) G"
    assert point.flux_ujy == pytest.approx(mag_to_ujy(18.1136))
    assert point.mjd == pytest.approx(61359.0 + (4 * 60 + 10) / 1440)


def test_gcn_notices_lvk_swift_icecube() -> None:
    (gw,) = read_alerts(samples.lvk_notice("S261120ab"), "lvk.json")
    assert isinstance(gw, Event) and (gw.kind, gw.name, gw.notice_type) == (
        "GW", "S261120ab", "PRELIMINARY")
    assert gw.skymap is not None and len(gw.skymap.uniq) == 12 * 4 ** 6
    assert gw.properties["classification"]["BNS"] == 0.95
    assert "skymap" not in gw.payload["event"]
    (grb,) = read_alerts(samples.swift_bat_notice(), "swift.json")
    assert (grb.kind, grb.name, grb.ra, grb.error_radius_deg) == (
        "GRB", "Swift 1234567", 210.5, 0.05)
    (nu,) = read_alerts(samples.icecube_notice(), "icecube.json")
    assert nu.kind == "neutrino" and nu.name == "IceCube 139159_38280211"
    (retraction,) = read_alerts(samples.lvk_notice("S261120ab", "RETRACTION"), "r.json")
    assert retraction.retracted and retraction.skymap is None


def test_every_sample_is_recognised_without_source(data_dir) -> None:
    found = {
        read_alerts(samples.ztf_packet(data_dir, object_id="ZTF26a", candid=5, ra=1.0,
                                       dec=1.0), "x")[0].source,
        read_alerts(samples.lsst_packet(data_dir, object_id=1, source_id=2, ra=1.0,
                                        dec=1.0), "x")[0].source,
        read_alerts(samples.tns_csv(1.0, 1.0), "x")[0].source,
        read_alerts(samples.tns_json(1.0, 1.0), "x")[0].source,
        read_alerts(samples.atlas_forced(1.0, 1.0), "x")[0].source,
        read_alerts(samples.gaia_alerts([("Gaia26a", 1.0, 1.0, 18.0, "")]), "x")[0].source,
        read_alerts(samples.swift_bat_notice(), "x")[0].source,
    }
    assert found == {"ztf", "lsst", "tns", "atlas", "gaia", "gcn"}


def test_corrupt_avro_names_the_file(data_dir) -> None:
    good = samples.ztf_packet(data_dir, object_id="ZTF26b", candid=9, ra=1.0, dec=1.0)
    damaged = good[: len(good) // 2] + bytes(64)
    with pytest.raises(AlertFormatError, match=r"^incoming/bad\.avro: corrupt Avro packet"):
        read_alerts(damaged, "incoming/bad.avro", "ztf")


@pytest.mark.parametrize(("data", "source", "message"), [
    (b"not an alert at all", None, "format not recognised"),
    (b"{broken json", "gcn", "invalid JSON"),
    (b"#Name,Date,RaDeg,DecDeg,AlertMag\nGaia26x,2026-11-15,12.0,95.0,18.0\n", "gaia",
     "not on the sky"),
    (b"###MJD m dm uJy\n1 2 3 4\n", "atlas", "lacks the columns"),
    (b'"objid","name_prefix","name"\n"1","SN","x"\n', "tns", "lacks the columns"),
])
def test_bad_input_is_rejected_with_reason(data, source, message) -> None:
    with pytest.raises(AlertFormatError, match=message):
        read_alerts(data, "upload", source)


def test_ztf_file_given_as_lsst_is_refused(data_dir) -> None:
    data = samples.ztf_packet(data_dir, object_id="ZTF26c", candid=3, ra=1.0, dec=1.0)
    with pytest.raises(AlertFormatError, match="is not lsst"):
        read_alerts(data, "z.avro", "lsst")


def test_detection_type() -> None:
    (report,) = read_alerts(samples.tns_csv(1.0, 1.0), "x")
    assert isinstance(report, Detection)



@pytest.mark.parametrize("packet", ["2019_01_10_739260766315010006.avro",
                                    "472263571115115000.avro", "generated", "rubin"])
def test_decoding_only_the_fields_read_changes_no_detection(data_dir, packet,
                                                           monkeypatch) -> None:
    # The adapters decode a projection of the packet (their FIELDS); decoding every field
    # must give the very same detections, photometry included.
    from soxsvo.marshall.ingest import avro, lsst, ztf

    if packet == "rubin":
        data = (data_dir / samples.LSST_DIR / "fakeAlert.avro").read_bytes()
    elif packet == "generated":
        data = samples.ztf_packet(data_dir, object_id="ZTF26p", candid=11, ra=359.9999,
                                  dec=-89.9, history=True)
    else:
        data = (data_dir / samples.ZTF_DIR / "alerts" / packet).read_bytes()
    (projected,) = read_alerts(data, packet)
    fields = ztf.FIELDS if projected.source == "ztf" else lsst.FIELDS
    assert avro._projection(avro._header(data)[0]["avro.schema"], fields) is not None
    monkeypatch.setattr(avro, "_projection", lambda schema, fields: None)
    (full,) = read_alerts(data, packet)
    assert projected == full
    assert len(full.photometry) > 1
