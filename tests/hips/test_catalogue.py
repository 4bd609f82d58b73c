"""The catalogue HiPS against brute force: every visible source once, in the tile holding its
position, lower orders keeping the newest; properties, MOC and Allsky per HiPS 1.0."""

from __future__ import annotations

import io

import astropy.units as u
import numpy as np
import psycopg
from astropy.io import fits
from cdshealpix.nested import lonlat_to_healpix
from mocpy import MOC

from soxsvo.hips import parse_properties, tile_path
from soxsvo.hips.catalogue import COLUMNS
from soxsvo.hips.reader import parse_tsv
from tests.moc.helpers import add_products, add_transients, random_sky

REQUIRED = ("creator_did", "obs_title", "dataproduct_type", "hips_version", "hips_release_date",
            "hips_status", "hips_tile_format", "hips_order", "hips_frame")


def _fill(conninfo: str, rng, n_public=300, n_private=40, n_transients=150):
    with psycopg.connect(conninfo) as conn:
        ra, dec = random_sky(rng, n_public)
        public = add_products(conn, ra, dec, prefix="PUB")
        ra, dec = random_sky(rng, n_private)
        private = add_products(conn, ra, dec, prefix="PRIV", release_days=300)
        ra, dec = random_sky(rng, n_transients)
        add_transients(conn, ra, dec)
    return public, private


def _walk(client, base="/hips/catalogue"):
    """Every source of the HiPS as a client finds it: tiles of the MOC's cells, order by order."""
    properties = parse_properties(client.get(f"{base}/properties").get_data(as_text=True))
    moc = MOC.from_fits(io.BytesIO(client.get(f"{base}/Moc.fits").data))
    found = []
    for order in range(1, int(properties["hips_order"]) + 1):
        for ipix in _cells(moc, order):
            response = client.get(f"{base}/{tile_path(order, ipix, 'tsv')}")
            if response.status_code == 404:
                continue
            assert response.status_code == 200
            text = response.get_data(as_text=True)
            header = [line for line in text.splitlines() if not line.startswith("#")][0]
            assert tuple(header.split("\t")) == COLUMNS
            found.extend((order, ipix, row) for row in parse_tsv(text))
    return properties, moc, found


def _cells(moc: MOC, order: int) -> list[int]:
    cells = moc.flatten().astype(np.int64)
    return np.unique(cells >> (2 * (moc.max_order - order))).tolist()


def test_catalogue_matches_brute_force(hips_client, hips_settings) -> None:
    public, private = _fill(hips_settings.database_url, np.random.default_rng(3))
    properties, moc, found = _walk(hips_client)
    for key in REQUIRED:
        assert properties.get(key), key
    assert properties["dataproduct_type"] == "catalog"
    assert properties["hips_tile_format"] == "tsv"
    assert properties["hips_frame"] == "equatorial"
    assert int(properties["hips_cat_nrows"]) == len(found) == 300 + 150
    names = [row["dp_id"] or row["name"] for _, _, row in found]
    assert len(set(names)) == len(names), "no source twice"
    assert {row["dp_id"] for _, _, row in found if row["type"] == "spectrum"} == set(public)
    assert not set(private) & set(names), "proprietary spectra stay out"
    per_tile = {}
    for order, ipix, row in found:
        ra, dec = float(row["ra"]), float(row["dec"])
        assert lonlat_to_healpix(ra * u.deg, dec * u.deg, order) == ipix
        per_tile.setdefault((order, ipix), []).append(float(row["mjd"] or "-inf"))
        assert moc.contains_lonlat(ra * u.deg, dec * u.deg)[0]
    hips_order = int(properties["hips_order"])
    assert hips_order > 2, "450 sources at 5 per tile need several orders"
    for (order, ipix), mjds in per_tile.items():
        if order < 6:
            assert len(mjds) <= 5
        # Progressive: nothing below a tile is newer than what the tile shows.
        deeper = [m for (o, p), ms in per_tile.items() if o > order
                  and p >> (2 * (o - order)) == ipix for m in ms]
        if deeper and len(mjds) == 5:
            assert min(mjds) >= max(deeper)


def test_allsky_is_the_concatenation_of_its_order(hips_client, hips_settings) -> None:
    _fill(hips_settings.database_url, np.random.default_rng(4), 120, 0, 30)
    _, _, found = _walk(hips_client)
    for order in (1, 2):
        allsky = parse_tsv(hips_client.get(f"/hips/catalogue/Norder{order}/Allsky.tsv")
                           .get_data(as_text=True))
        assert sorted(r["name"] for r in allsky) == sorted(
            row["name"] for o, _, row in found if o == order)


def test_catalogue_follows_registrations(hips_client, hips_settings) -> None:
    _fill(hips_settings.database_url, np.random.default_rng(5), 50, 0, 10)
    first = parse_properties(hips_client.get("/hips/catalogue/properties").get_data(as_text=True))
    assert first["hips_cat_nrows"] == "60"
    with psycopg.connect(hips_settings.database_url) as conn:
        add_products(conn, [12.5], [-45.0], prefix="NEW")
    _, _, found = _walk(hips_client)
    assert "NEW0000000" in {row["dp_id"] for _, _, row in found}
    assert len(found) == 61


def test_moc_reads_back_and_views_refuse_other_paths(hips_client, hips_settings) -> None:
    _fill(hips_settings.database_url, np.random.default_rng(6), 20, 0, 0)
    response = hips_client.get("/hips/catalogue/Moc.fits")
    assert response.mimetype == "application/fits"
    with fits.open(io.BytesIO(response.data)) as hdus:
        assert hdus[1].header["ORDERING"] in ("NUNIQ", "RANGE")
    moc = MOC.from_fits(io.BytesIO(response.data))
    assert not moc.empty()
    empty = next(p for p in range(48) if p not in set(_cells(moc, 1)))
    assert hips_client.get(f"/hips/catalogue/Norder1/Dir0/Npix{empty}.tsv").status_code == 404
    tile = hips_client.get("/hips/catalogue/Norder1/Allsky.tsv")
    assert tile.mimetype == "text/tab-separated-values"
    assert tile.headers["Access-Control-Allow-Origin"] == "*"
    for path in ("/hips/catalogue/../secret_key", "/hips/catalogue/manifest.json",
                 "/hips/nothing/properties"):
        assert hips_client.get(path).status_code == 404, path
