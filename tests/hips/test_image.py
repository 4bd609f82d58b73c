"""The image HiPS: acquisition images registered as Phase 3 products appear in the tiles at the
right sky position, lower orders average their children, and new images update incrementally."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import psycopg
from astropy.io import fits
from mocpy import MOC

from soxsvo.hips import HiPSReader, parse_properties
from soxsvo.hips.image import ImageOptions, downsample, read_image
from soxsvo.hips.pixels import locate, tile_lonlat
from soxsvo.hips.store import public_image_hips

from .conftest import register_image


def _update(settings):
    with psycopg.connect(settings.database_url) as conn:
        return public_image_hips(conn, settings.data_path / "hips",
                                 ImageOptions.from_settings(settings), 10.0)


def _stored(settings, dp_id):
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute("SELECT file_path FROM soxs.product WHERE dp_id = %s",
                            (dp_id,)).fetchone()[0]


def test_registered_image_is_an_obscore_image(hips_settings, tmp_path) -> None:
    reg = register_image(hips_settings, tmp_path, ra=150.0, dec=-30.0, seed=1)
    with psycopg.connect(hips_settings.database_url) as conn:
        row = conn.execute(
            "SELECT dataproduct_type, prodcatg, s_ra, s_dec, s_xel1, filter, em_min, em_max "
            "FROM ivoa.obscore WHERE dp_id = %s", (reg.dp_id,)).fetchone()
    assert row[:2] == ("image", "SCIENCE.IMAGE")
    assert abs(row[2] - 150.0) < 1e-6 and abs(row[3] + 30.0) < 1e-6
    assert row[4] == 256 and row[5] == "r"
    assert 550e-9 < row[6] < row[7] < 700e-9


def test_tiles_hold_the_image_pixels_at_their_sky_position(hips_settings, tmp_path) -> None:
    reg = register_image(hips_settings, tmp_path, ra=150.0, dec=-30.0, seed=1)
    folder, action = _update(hips_settings)
    assert action == "rebuilt"
    hips = HiPSReader(folder)
    data, wcs = read_image(_stored(hips_settings, reg.dp_id))
    # Cells inside the image: the tile pixel holds the image pixel containing the cell centre.
    rng = np.random.default_rng(5)
    x, y = rng.uniform(5, 250, 400), rng.uniform(5, 250, 400)
    ra, dec = wcs.all_pix2world(x, y, 0)
    tiles, rows, cols = locate(ra, dec, 9, 128)
    checked = 0
    for ipix in np.unique(tiles):
        lon, lat = tile_lonlat(9, int(ipix), 128)
        tile = hips.tile(9, int(ipix))
        here = tiles == ipix
        cx, cy = wcs.all_world2pix(lon[rows[here], cols[here]], lat[rows[here], cols[here]], 0)
        expected = data[np.rint(cy).astype(int), np.rint(cx).astype(int)]
        np.testing.assert_array_equal(tile[rows[here], cols[here]], expected.astype(np.float32))
        checked += here.sum()
    assert checked == 400
    # The target, the brightest source at the image centre, is where the header says.
    best = None
    for ipix in np.unique(tiles):
        tile = hips.tile(9, int(ipix))
        r, c = np.unravel_index(np.nanargmax(tile), tile.shape)
        if best is None or tile[r, c] > best[0]:
            lon, lat = tile_lonlat(9, int(ipix), 128)
            best = (tile[r, c], lon[r, c], lat[r, c])
    separation = np.hypot((best[1] - 150.0) * np.cos(np.radians(30.0)), best[2] + 30.0) * 3600
    assert separation < 1.0, f"peak {separation:.2f} arcsec from the target"
    # Outside the image there is no data.
    assert np.isnan(hips.values_at([151.0], [-30.0])).all()


def test_tile_orientation_follows_hips(hips_settings) -> None:
    # HiPS/HPX convention: first row holds the east (left) and north (right) corners.
    lon, lat = tile_lonlat(9, 123456, 128)
    assert lat[0, -1] == lat.max() and lat[-1, 0] == lat.min()
    east, west = lon[0, 0], lon[-1, -1]
    assert (east - west) % 360 < 180, "east corner at larger RA than the west one"


def test_lower_orders_average_their_children(hips_settings, tmp_path) -> None:
    register_image(hips_settings, tmp_path, ra=150.0, dec=-30.0, seed=1)
    folder, _ = _update(hips_settings)
    hips = HiPSReader(folder)
    tiles, rows, cols = locate([150.0], [-30.0], 9, 128)
    child_ipix = int(tiles[0])
    parent = hips.tile(8, child_ipix >> 2)
    q = child_ipix & 3
    block = parent[(0 if q & 1 else 64):(0 if q & 1 else 64) + 64, (q >> 1) * 64:(q >> 1) * 64 + 64]
    np.testing.assert_allclose(block, downsample(hips.tile(9, child_ipix)), rtol=1e-6)
    # Down to order 3, with its Allsky.
    assert hips.tile(3, child_ipix >> 12) is not None
    allsky = fits.getdata(folder / "Norder3" / "Allsky.fits")
    assert allsky.shape == (29 * 32, 27 * 32)
    assert np.isfinite(allsky).any()


def test_new_images_update_the_tree_incrementally(hips_settings, tmp_path) -> None:
    register_image(hips_settings, tmp_path, ra=150.0, dec=-30.0, seed=1)
    folder, _ = _update(hips_settings)
    far_tile = folder / "Norder9"
    before = {p: p.stat().st_mtime_ns for p in far_tile.rglob("*.fits")}
    assert _update(hips_settings)[1] == "current"
    second = register_image(hips_settings, tmp_path, ra=210.0, dec=10.0, seed=2,
                            obid=3000002, mjd=60001.1)
    again, action = _update(hips_settings)
    assert (again, action) == (folder, "updated")
    after = {p: p.stat().st_mtime_ns for p in far_tile.rglob("*.fits")}
    assert all(after[p] == t for p, t in before.items()), "first image's tiles untouched"
    assert len(after) > len(before)
    hips = HiPSReader(again)
    assert np.isfinite(hips.values_at([210.0], [10.0])).all()
    assert int(hips.properties["soxs_products"]) == 2
    moc = MOC.from_fits(str(folder / "Moc.fits"))
    assert moc.contains_lonlat([210.0, 150.0, 30.0] * u.deg, [10.0, -30.0, 0.0] * u.deg).tolist() \
        == [True, True, False]
    with fits.open(_stored(hips_settings, second.dp_id)) as hdus:
        assert hdus[0].header["OBJECT"] == "T2"


def test_properties_follow_hips_1_0(hips_client, hips_settings, tmp_path) -> None:
    register_image(hips_settings, tmp_path, ra=150.0, dec=-30.0, seed=1)
    response = hips_client.get("/hips/image/properties")
    assert response.status_code == 200
    properties = parse_properties(response.get_data(as_text=True))
    for key in ("creator_did", "obs_title", "dataproduct_type", "hips_version",
                "hips_release_date", "hips_status", "hips_tile_format", "hips_order",
                "hips_frame", "hips_tile_width"):
        assert properties.get(key), key
    assert properties["dataproduct_type"] == "image"
    assert properties["hips_tile_format"] == "fits"
    assert (properties["hips_order"], properties["hips_tile_width"]) == ("9", "128")
    tiles, _, _ = locate([150.0], [-30.0], 9, 128)
    path = f"Norder9/Dir{(int(tiles[0]) // 10000) * 10000}/Npix{int(tiles[0])}.fits"
    tile = hips_client.get(f"/hips/image/{path}")
    assert tile.status_code == 200 and tile.mimetype == "application/fits"
    assert tile.headers["Access-Control-Allow-Origin"] == "*"
    assert hips_client.get("/hips/image/manifest.json").status_code == 404
    assert hips_client.get("/hips/image/Norder9/Dir0/Npix0.fits").status_code == 404
