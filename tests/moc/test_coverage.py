"""Coverage MOCs: only public products, and kept current incrementally (== a full rebuild)."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from soxsvo.moc.coverage import Orders, build_moc, coverage

from .helpers import add_products, random_sky

ORDERS = Orders(space=8, time=30)


def _full(conn, kind: str, collection: str | None = None):
    from soxsvo.moc.coverage import _rows

    with conn.transaction():
        return build_moc(kind, _rows(conn, kind, collection, None), ORDERS)


def test_space_moc_has_public_products_only(db_conn, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    ra, dec = random_sky(rng, 50)
    add_products(db_conn, ra[:40], dec[:40], prefix="pub")
    add_products(db_conn, ra[40:], dec[40:], prefix="emb", release_days=300)
    result = coverage(db_conn, "space", tmp_path, ORDERS)
    assert result.action == "rebuilt" and result.count == 40
    assert result.moc.contains_lonlat(ra[:40] * u.deg, dec[:40] * u.deg).all()
    outside = ~result.moc.contains_lonlat(ra[40:] * u.deg, dec[40:] * u.deg)
    assert outside.all()  # 10 points in 786k order-8 cells: a collision is improbable
    assert coverage(db_conn, "space", tmp_path, ORDERS).action == "cached"


@pytest.mark.parametrize("kind", ["space", "time", "spacetime"])
def test_incremental_update_equals_rebuild(db_conn, tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(3)
    ra, dec = random_sky(rng, 60)
    add_products(db_conn, ra[:30], dec[:30], prefix="a")
    add_products(db_conn, ra[30:50], dec[30:50], prefix="e", release_days=5, t0=62000)
    first = coverage(db_conn, kind, tmp_path, ORDERS)
    assert first.action == "rebuilt"
    add_products(db_conn, ra[50:], dec[50:], prefix="b", t0=61500)
    # An embargo ends: the product became visible without being registered anew.
    db_conn.execute("UPDATE ivoa.obscore SET obs_release_date = now() "
                    "WHERE dp_id = 'e0000003'")
    db_conn.commit()
    second = coverage(db_conn, kind, tmp_path, ORDERS)
    assert second.action == "updated" and second.count == 41
    assert second.moc == _full(db_conn, kind)
    assert second.moc != first.moc


def test_withdrawn_product_forces_rebuild(db_conn, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    ra, dec = random_sky(rng, 20)
    add_products(db_conn, ra, dec, prefix="w")
    coverage(db_conn, "space", tmp_path, ORDERS)
    db_conn.execute("UPDATE ivoa.obscore SET obs_release_date = now() + interval '1 year' "
                    "WHERE dp_id = 'w0000000'")
    db_conn.commit()
    result = coverage(db_conn, "space", tmp_path, ORDERS)
    assert result.action == "rebuilt" and result.count == 19
    assert not result.moc.contains_lonlat(ra[:1] * u.deg, dec[:1] * u.deg)[0]


def test_time_moc_and_collections(db_conn, tmp_path: Path) -> None:
    add_products(db_conn, [10.0], [-20.0], prefix="s", t0=61000.5)
    add_products(db_conn, [200.0], [30.0], prefix="x", collection="OTHER", t0=61100.5)
    soxs = coverage(db_conn, "time", tmp_path, ORDERS, collection="SOXS").moc
    every = coverage(db_conn, "time", tmp_path, ORDERS).moc
    inside = Time([61000.505, 61100.505], format="mjd", scale="utc")
    assert list(soxs.contains(inside)) == [True, False]
    assert list(every.contains(inside)) == [True, True]
    space = coverage(db_conn, "space", tmp_path, ORDERS, collection="OTHER").moc
    assert list(space.contains_lonlat([10, 200] * u.deg, [-20, 30] * u.deg)) == [False, True]


def test_empty_archive_gives_empty_mocs(db_conn, tmp_path: Path) -> None:
    for kind in ("space", "time", "spacetime"):
        assert coverage(db_conn, kind, tmp_path, ORDERS).moc.empty()
