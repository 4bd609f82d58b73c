"""Previews (a real PNG, cached, with caching headers) and what anonymous callers cannot see."""

from __future__ import annotations

import struct
from urllib.parse import quote

import requests
from pyvo.dal.adhoc import DatalinkResults

from .conftest import one_row
from .helpers import by_semantics, dali_error

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == PNG_MAGIC and body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def test_preview_is_a_png_of_the_configured_size(datalink_server) -> None:
    links = DatalinkResults.from_result_url(
        f"{datalink_server.url}/datalink/links?ID={quote(datalink_server.extra_did, safe='')}")
    preview = next(by_semantics(links, "#preview"))
    assert preview.content_type == "image/png"
    first = requests.get(preview.getdataurl(), timeout=120)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/png"
    settings = datalink_server.settings
    assert _png_size(first.content) == (settings.preview.width, settings.preview.height)
    assert first.headers["Cache-Control"] == "public, max-age=86400"
    cached = list((settings.data_path / "previews").rglob("*.png"))
    assert cached, "the preview is kept in the data dir"
    again = requests.get(preview.getdataurl(), timeout=60,
                         headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_preview_differs_between_spectra(datalink_server) -> None:
    dp_ids = [row for row in (one_row(
        datalink_server.settings,
        "SELECT dp_id FROM ivoa.obscore WHERE soxs.is_released(obs_release_date) "
        "AND dataproduct_subtype = %s ORDER BY dp_id LIMIT 1", (subtype,))[0]
        for subtype in ("uvvis", "nir"))]
    bodies = [requests.get(f"{datalink_server.url}/preview/{dp_id}.png", timeout=120).content
              for dp_id in dp_ids]
    assert all(body[:8] == PNG_MAGIC for body in bodies) and bodies[0] != bodies[1]


def test_unreleased_product_is_invisible_to_anonymous_callers(datalink_server) -> None:
    did, dp_id = one_row(datalink_server.settings,
                         "SELECT obs_publisher_did, dp_id FROM ivoa.obscore "
                         "WHERE NOT soxs.is_released(obs_release_date) ORDER BY dp_id LIMIT 1")
    url = datalink_server.url
    links = requests.get(f"{url}/datalink/links", params={"ID": did}, timeout=60)
    assert links.status_code == 200
    rows = list(DatalinkResults.from_result_url(links.url))
    assert len(rows) == 1 and "NotFoundFault" in rows[0].error_message
    assert f"/files/{dp_id}" not in links.text and "/preview/" not in links.text
    assert "adhoc:service" not in links.text
    by_name = requests.get(f"{url}/datalink/links", params={"ID": dp_id}, timeout=60)
    assert "NotFoundFault" in by_name.text and "/files/" not in by_name.text

    assert requests.get(f"{url}/preview/{dp_id}.png", timeout=60).status_code == 404
    cutout = requests.get(f"{url}/soda/sync", params={"ID": did, "BAND": "0 1"}, timeout=60)
    assert cutout.status_code == 404 and "NotFoundFault" in dali_error(cutout.content)
    assert requests.get(f"{url}/files/{dp_id}", timeout=60).status_code == 404


def test_ancillary_download_follows_visibility(datalink_server) -> None:
    url = datalink_server.url
    name = sorted(datalink_server.delivered)[0]
    answer = requests.get(f"{url}/files/{datalink_server.extra_dp_id}/ancillary/{name}",
                          timeout=60)
    assert answer.status_code == 200 and answer.content == datalink_server.delivered[name]
    assert requests.get(f"{url}/files/{datalink_server.extra_dp_id}/ancillary/"
                        f"{datalink_server.missing}", timeout=60).status_code == 404
