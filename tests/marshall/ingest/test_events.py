"""GCN notices: events with their sky maps, updates, retractions, idempotence."""

from __future__ import annotations

import pytest
from astropy import units as u
from mocpy import MOC

from tests.marshall.ingest import samples
from tests.marshall.ingest.conftest import table_counts


def test_lvk_notice_stores_event_and_skymap(ingest, db_conn) -> None:
    (summary,) = ingest(samples.lvk_notice("S261120ab", ra=150.0, dec=2.0))
    assert summary.events == 1
    event = db_conn.execute("SELECT name, kind, mission, retracted, properties->'classification'"
                            "->>'BNS' FROM marshall.event").fetchone()
    assert event == ("S261120ab", "GW", "LVK", False, "0.95")
    cells, area, moc = db_conn.execute(
        "SELECT cardinality(uniq), area90_deg2, moc90 FROM marshall.event_skymap").fetchone()
    assert cells == 12 * 4 ** 6
    # A 2-D Gaussian of sigma 5 deg: the 90% region is 2 pi sigma^2 ln 10 = 362 deg^2,
    # at the map's resolution (order-6 cells of 0.84 deg^2).
    assert area == pytest.approx(361.7, rel=0.05)
    # The region is where the map peaks, and not on the other side of the sky.
    assert MOC.from_string(moc).contains_lonlat(150 * u.deg, 2 * u.deg)[0]
    assert not MOC.from_string(moc).contains_lonlat(330 * u.deg, -2 * u.deg)[0]


def test_notice_updates_and_retraction(ingest, db_conn) -> None:
    ingest(samples.lvk_notice("S261120ab"), samples.lvk_notice("S261120ab", "INITIAL"))
    before = table_counts(db_conn)
    assert (before["event"], before["event_notice"], before["event_skymap"]) == (1, 2, 2)
    (again,) = ingest(samples.lvk_notice("S261120ab", "INITIAL"))
    assert again.events == 0 and table_counts(db_conn) == before
    ingest(samples.lvk_notice("S261120ab", "RETRACTION"))
    assert db_conn.execute("SELECT retracted FROM marshall.event").fetchone()[0] is True


def test_grb_and_neutrino_events_have_positions(ingest, db_conn) -> None:
    ingest(samples.swift_bat_notice(), samples.icecube_notice())
    rows = db_conn.execute("SELECT name, kind, ra, dec, error_radius_deg FROM marshall.event "
                           "ORDER BY name").fetchall()
    assert rows == [("IceCube 139159_38280211", "neutrino", 77.4, 5.7, 0.6),
                    ("Swift 1234567", "GRB", 210.5, 54.3, 0.05)]
    # Events never become transients.
    assert table_counts(db_conn)["transient"] == 0
