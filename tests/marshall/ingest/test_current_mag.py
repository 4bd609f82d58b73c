"""The current magnitude: the latest night's weighted mean flux, never a limit; the latest
non-detection kept beside it."""

from __future__ import annotations

import pytest

from soxsvo.marshall.ingest import Detection, Photometry, ingest_items
from soxsvo.marshall.ingest.model import mag_to_ujy, ujy_to_mag


def point(band, mjd, mag, err=0.05, limit=False, sid="") -> Photometry:
    flux = mag_to_ujy(mag)
    return Photometry(band, mjd, flux, None if limit else flux * err * 0.921, limit, mag,
                      None if limit else err, "mag(AB)", sid or f"{band}:{mjd}")


def detection(alert_id, points) -> Detection:
    return Detection(source="ztf", alert_id=alert_id, survey="ZTF", object_name="ZTF26aaacurr",
                     ra=10.0, dec=10.0, photometry=points)


def current(conn) -> tuple:
    row = conn.execute("SELECT current_mag, current_mag_mjd, current_mag_band, "
                       "discovery_mjd, last_detection_mjd FROM marshall.transient").fetchone()
    conn.commit()
    return row


def test_weighted_mean_of_the_latest_night_in_the_latest_band(db_conn, config) -> None:
    ingest_items(db_conn, [detection("1", [
        point("ztf-g", 61350.1, 19.5), point("ztf-r", 61360.10, 18.0, err=0.02),
        point("ztf-r", 61360.30, 18.2, err=0.10), point("ztf-g", 61360.20, 18.5),
    ])], config)
    mag, mjd, band, discovered, last = current(db_conn)
    f1, f2 = mag_to_ujy(18.0), mag_to_ujy(18.2)
    w1, w2 = 1 / (f1 * 0.02 * 0.921) ** 2, 1 / (f2 * 0.10 * 0.921) ** 2
    assert band == "ztf-r" and mjd == pytest.approx(61360.30)
    assert mag == pytest.approx(ujy_to_mag((w1 * f1 + w2 * f2) / (w1 + w2)), abs=1e-9)
    assert discovered == pytest.approx(61350.1) and last == pytest.approx(61360.30)


def test_later_photometry_updates_it(db_conn, config) -> None:
    ingest_items(db_conn, [detection("1", [point("ztf-r", 61360.1, 18.0)])], config)
    ingest_items(db_conn, [detection("2", [point("ztf-g", 61364.1, 19.0)])], config)
    assert current(db_conn)[:3] == (pytest.approx(19.0), pytest.approx(61364.1), "ztf-g")


def test_a_later_limit_is_kept_as_a_limit_never_as_the_magnitude(db_conn, config) -> None:
    ingest_items(db_conn, [detection("1", [
        point("ztf-r", 61360.1, 18.0), point("ztf-r", 61362.0, 17.5, limit=True),  # shallow
        point("ztf-g", 61364.0, 20.5, limit=True), point("ztf-r", 61365.0, 20.1, limit=True),
    ])], config)
    mag, mjd, band, _, last = current(db_conn)
    assert (mag, mjd, band) == (pytest.approx(18.0), pytest.approx(61360.1), "ztf-r")
    assert last == pytest.approx(61360.1)
    limit = db_conn.execute("SELECT last_limit_mag, last_limit_mjd, last_limit_band "
                            "FROM marshall.transient").fetchone()
    assert limit == (pytest.approx(20.1), pytest.approx(61365.0), "ztf-r")
    # The rules still see it faded below 20.1: the later limit reached deeper.
    from soxsvo.marshall.ingest.current_mag import FADED_MAG_SQL
    faded = db_conn.execute(f"SELECT {FADED_MAG_SQL} FROM marshall.transient t").fetchone()[0]
    assert faded == pytest.approx(20.1)


def test_an_object_with_only_limits_has_no_magnitude_but_its_limit(db_conn, config) -> None:
    ingest_items(db_conn, [detection("1", [point("ztf-g", 61364.0, 20.5, limit=True)])],
                 config)
    row = db_conn.execute("SELECT current_mag, last_limit_mag FROM marshall.transient"
                          ).fetchone()
    assert row == (None, pytest.approx(20.5))


def test_low_signal_to_noise_and_negative_fluxes_are_not_detections(db_conn, config) -> None:
    noisy = Photometry("lsst-r", 61364.0, 2.0, 1.0, False, 2000.0, 1000.0, "nJy", "n1")
    negative = Photometry("lsst-r", 61364.5, -5.0, 0.5, False, -5000.0, 500.0, "nJy", "n2")
    ingest_items(db_conn, [detection("1", [point("lsst-r", 61360.0, 21.0), noisy, negative])],
                 config)
    assert current(db_conn)[:2] == (pytest.approx(21.0), pytest.approx(61360.0))
