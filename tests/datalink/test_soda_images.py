"""SODA cutouts of images by sky region (POS, CIRCLE, POLYGON), as pyvo and astropy see them."""

from __future__ import annotations

import io
from urllib.parse import quote

import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.wcs import WCS
from pyvo.dal.adhoc import DatalinkResults

from .conftest import one_row
from .helpers import by_semantics, dali_error


@pytest.fixture
def image(datalink_server):
    did, path = one_row(datalink_server.settings,
                        "SELECT o.obs_publisher_did, p.file_path FROM ivoa.obscore o "
                        "JOIN soxs.product p ON p.publisher_did = o.obs_publisher_did "
                        "WHERE o.dataproduct_type = 'image' "
                        "AND soxs.is_released(o.obs_release_date) ORDER BY o.dp_id LIMIT 1")
    with fits.open(path) as hdul:
        header = hdul[0].header
        return did, header["RA"], header["DEC"], hdul[0].data.shape, hdul[0].data.copy()


def _sky_of_corners(hdul: fits.HDUList) -> np.ndarray:
    wcs = WCS(hdul[0].header)
    ny, nx = hdul[0].data.shape
    return np.array(wcs.pixel_to_world_values([0, nx - 1], [0, ny - 1])).T


def test_circle_through_pyvo_descriptor(datalink_server, image) -> None:
    did, ra, dec, shape, data = image
    links = DatalinkResults.from_result_url(
        f"{datalink_server.url}/datalink/links?ID={quote(did, safe='')}")
    assert "sky region" in next(by_semantics(links, "#cutout")).description
    body = links.get_first_proc().process(CIRCLE=[ra, dec, 10 / 3600]).read()
    hdul = fits.open(io.BytesIO(body))
    assert hdul[0].data.ndim == 2 and hdul[0].data.size < data.size
    # The target (the image centre) is inside the cut, and the cut spans about 20".
    wcs = WCS(hdul[0].header)
    x, y = wcs.world_to_pixel_values(ra, dec)
    ny, nx = hdul[0].data.shape
    assert 0 <= x <= nx - 1 and 0 <= y <= ny - 1
    (ra0, dec0), (ra1, dec1) = _sky_of_corners(hdul)
    assert 15 / 3600 < abs(dec1 - dec0) < 25 / 3600
    # The pixels are the original ones, not resampled.
    assert np.isin(hdul[0].data.ravel()[:50], data.ravel()).all()
    assert hdul[0].verify_checksum() == 1


def test_pos_range_and_polygon(datalink_server, image) -> None:
    did, ra, dec, shape, data = image
    url = f"{datalink_server.url}/soda/sync"
    d = 5 / 3600
    ranged = requests.get(url, params={"ID": did, "POS": f"RANGE {ra - d} {ra + d} "
                                                          f"{dec - d} {dec + d}"}, timeout=60)
    polygon = requests.get(url, params={"ID": did, "POLYGON": f"{ra - d} {dec - d} {ra + d} "
                                                              f"{dec - d} {ra} {dec + d}"},
                           timeout=60)
    for answer in (ranged, polygon):
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/fits"
        cut = fits.open(io.BytesIO(answer.content))[0].data
        assert 0 < cut.size < data.size


@pytest.mark.parametrize(("params", "needle"), [
    ({"CIRCLE": "0 -89 0.001"}, "NoOverlap"),
    ({"CIRCLE": "1 2"}, "3 finite numbers"),
    ({"POS": "BOX 1 2 3 4"}, "CIRCLE, RANGE or POLYGON"),
    ({}, "exactly one POS, CIRCLE or POLYGON"),
    ({"CIRCLE": "1 2 0.1", "POLYGON": "1 2 3 4 5 6"}, "exactly one"),
    ({"CIRCLE": "1 2 0.1", "RESPONSEFORMAT": "votable"}, "FITS only"),
])
def test_bad_regions_are_dali_errors(datalink_server, image, params, needle) -> None:
    answer = requests.get(f"{datalink_server.url}/soda/sync",
                          params={"ID": image[0], **params}, timeout=60)
    assert answer.status_code == 400 and needle in dali_error(answer.content)
