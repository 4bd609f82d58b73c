"""MOC queries agree with brute force (mocpy's point-in-MOC) on random and awkward points."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from mocpy import MOC

from soxsvo.moc.query import moc_ranges, query_moc
from soxsvo.moc.skymap import credible_region

from .helpers import add_products, add_transients, gaussian_skymap, random_sky

# Poles, RA 0/360 and the dateline of the projection, where index arithmetic goes wrong first.
AWKWARD_RA = np.array([0.0, 359.9999999, 0.0, 180.0, 0.0, 359.5, 0.5, 90.0, 270.0, 0.0])
AWKWARD_DEC = np.array([90.0, 89.99, -90.0, -89.99, 45.0, 45.0, -45.0, 41.8103, -41.8103,
                        10.0])


@pytest.fixture
def transients(db_conn):
    rng = np.random.default_rng(11)
    ra, dec = random_sky(rng, 20000)
    ra = np.concatenate([ra, AWKWARD_RA])
    dec = np.concatenate([dec, AWKWARD_DEC])
    add_transients(db_conn, ra, dec)
    return ra, dec


def _names_inside(moc: MOC, ra, dec) -> set[str]:
    inside = moc.contains_lonlat(np.mod(ra, 360) * u.deg, dec * u.deg)
    return {f"AT{i + 1}" for i in np.nonzero(inside)[0]}


def _query_names(conn, moc: MOC) -> set[str]:
    result = query_moc(conn, moc, "transients", maxrec=100000)
    assert not result.overflow
    name = [c.name for c in result.columns].index("name")
    return {row[name] for row in result.rows}


REGIONS = {
    "cone at the north pole": MOC.from_cone(0 * u.deg, 90 * u.deg, radius=8 * u.deg,
                                            max_depth=9),
    "cone at the south pole": MOC.from_cone(180 * u.deg, -90 * u.deg, radius=5 * u.deg,
                                            max_depth=11),
    "cone across RA 0": MOC.from_cone(0 * u.deg, 45 * u.deg, radius=10 * u.deg, max_depth=8),
    "mixed orders": MOC.from_str("0/4 3/100-140 7/50000-52000 12/1-9000000"),
    "whole sky": MOC.from_str("0/0-11"),
}


@pytest.mark.parametrize("name", list(REGIONS))
def test_query_matches_brute_force(db_conn, transients, name: str) -> None:
    moc = REGIONS[name]
    expected = _names_inside(moc, *transients)
    assert _query_names(db_conn, moc) == expected
    assert expected  # each region holds some points


def test_skymap_region_matches_brute_force(db_conn, transients) -> None:
    uniq, dens = gaussian_skymap(0.5, -20.0, sigma_deg=6.0)
    moc = credible_region(uniq, dens, 0.9)
    assert _query_names(db_conn, moc) == _names_inside(moc, *transients)


def test_empty_moc_and_maxrec(db_conn, transients) -> None:
    assert query_moc(db_conn, MOC.new_empty(5), "transients", 10).rows == []
    result = query_moc(db_conn, REGIONS["whole sky"], "transients", 7)
    assert len(result.rows) == 7 and result.overflow


def test_ranges_are_order29() -> None:
    lo, hi = moc_ranges(MOC.from_str("1/3 29/5"))
    assert (lo, hi) == ([5, 3 << 56], [6, 4 << 56])


def test_spectra_query_sees_public_products_only(db_conn) -> None:
    add_products(db_conn, [10.0, 10.01], [5.0, 5.0], prefix="pub")
    add_products(db_conn, [10.02], [5.0], prefix="emb", release_days=100)
    moc = MOC.from_cone(10 * u.deg, 5 * u.deg, radius=1 * u.deg, max_depth=10)
    result = query_moc(db_conn, moc, "spectra", 100)
    dids = sorted(row[0] for row in result.rows)
    assert dids == ["ivo://test/pub0000000", "ivo://test/pub0000001"]


def test_query_uses_the_index(db_conn, transients) -> None:
    from soxsvo.moc.query import TARGETS, query_sql

    db_conn.execute("ANALYZE marshall.transient")
    lo, hi = moc_ranges(REGIONS["cone across RA 0"])
    plan = db_conn.execute(
        b"EXPLAIN " + query_sql(TARGETS["transients"]).as_bytes(db_conn),
        {"lo": lo, "hi": hi, "limit": 1000}).fetchall()
    assert "transient_hpx29" in "\n".join(r[0] for r in plan)
