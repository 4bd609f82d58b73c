"""DataLink 1.1 against the running server, read with pyvo: from ObsCore rows to every link."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import pytest
import pyvo
import requests
from astropy.io.votable import parse_single_table
from pyvo.dal import DALServiceError
from pyvo.dal.adhoc import DatalinkResults, DatalinkService
from pyvo.dal.exceptions import DALOverflowWarning

from .conftest import CALIBRATIONS, one_row
from .helpers import by_semantics, dali_error, votlint

DATALINK_MIME = "application/x-votable+xml;content=datalink"


def _links(url: str, *ids: str, **params) -> requests.Response:
    return requests.get(f"{url}/datalink/links", params={"ID": list(ids), **params}, timeout=60)


def test_obscore_rows_link_to_datalink_and_pyvo_follows_them(datalink_server) -> None:
    tap = pyvo.dal.TAPService(f"{datalink_server.url}/tap")
    rows = tap.run_sync("SELECT TOP 3 obs_publisher_did, access_url, access_format, obs_id "
                        "FROM ivoa.obscore WHERE dataproduct_subtype = 'uvvis' "
                        "ORDER BY obs_publisher_did")
    assert len(rows) == 3
    for row in rows:
        assert row["access_format"] == DATALINK_MIME
        assert row["access_url"] == (f"{datalink_server.url}/datalink/links?ID="
                                     + quote(row["obs_publisher_did"], safe=""))
    seen = 0
    for links in rows.iter_datalinks():
        semantics = {link.semantics for link in links}
        assert {"#this", "#preview", "#progenitor", "#counterpart", "#cutout"} <= semantics
        this = next(by_semantics(links, "#this"))
        assert this.content_type == "application/fits"
        counterparts = list(by_semantics(links, "#counterpart"))
        # The same observation's NIR arm and merged spectrum (and acquisition image, if any).
        kinds = sorted(c.description.split(" ")[0] for c in counterparts)
        assert kinds in (["NIR", "merged"], ["NIR", "acquisition", "merged"])
        seen += 1
    assert seen == 3


def test_this_is_the_archived_file_byte_for_byte(datalink_server) -> None:
    did, path = one_row(datalink_server.settings,
                        "SELECT p.publisher_did, p.file_path FROM soxs.product p JOIN "
                        "ivoa.obscore o ON o.obs_publisher_did = p.publisher_did WHERE "
                        "soxs.is_released(o.obs_release_date) ORDER BY p.dp_id LIMIT 1")
    links = DatalinkResults.from_result_url(
        f"{datalink_server.url}/datalink/links?ID={quote(did, safe='')}")
    this = next(by_semantics(links, "#this"))
    body = requests.get(this.getdataurl(), timeout=60).content
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert this.content_length == len(body)


def test_auxiliary_calibration_and_progenitor_links(datalink_server) -> None:
    links = DatalinkResults.from_result_url(
        f"{datalink_server.url}/datalink/links?ID={quote(datalink_server.extra_did, safe='')}")
    auxiliary = list(by_semantics(links, "#auxiliary"))
    held = {link.description.split(": ")[-1]: link for link in auxiliary
            if not link.error_message}
    assert set(held) == set(datalink_server.delivered)
    for name, link in held.items():
        body = requests.get(link.getdataurl(), timeout=60).content
        assert body == datalink_server.delivered[name]
        assert link.content_length == len(body)
    missing = [link for link in auxiliary if link.error_message]
    assert len(missing) == 1 and datalink_server.missing in missing[0].error_message
    assert "telluric-corrected" in missing[0].description

    calibrations = {link.description: link for link in by_semantics(links, "#calibration")}
    eso_name, other_name = CALIBRATIONS[0][0], CALIBRATIONS[1][0]
    eso = next(link for text, link in calibrations.items() if eso_name in text)
    assert eso.access_url.endswith("/" + eso_name[:-5])
    other = next(link for text, link in calibrations.items() if other_name in text)
    with pytest.raises(DALServiceError, match="neither"):
        other.getdataurl()  # pyvo turns the row's error_message into an exception

    progenitor = next(by_semantics(links, "#progenitor"))
    assert progenitor.access_url.endswith("/SOXS.2024-01-01T01:00:00.000")


def test_several_ids_unknown_id_and_maxrec(datalink_server) -> None:
    did_a = datalink_server.extra_did
    did_b = one_row(datalink_server.settings,
                    "SELECT obs_publisher_did FROM ivoa.obscore WHERE "
                    "soxs.is_released(obs_release_date) ORDER BY dp_id LIMIT 1")[0]
    unknown = "ivo://eso.org/soxs/ID?ADP.1999-01-01T00:00:00.000"
    answer = _links(datalink_server.url, did_a, unknown, did_b)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == DATALINK_MIME
    assert votlint(answer.content) == ""
    links = DatalinkResults.from_result_url(answer.url)
    ids = [link.id for link in links]
    assert ids.index(did_a) < ids.index(unknown) < ids.index(did_b)
    error_rows = [link for link in links if link.id == unknown]
    assert len(error_rows) == 1 and "NotFoundFault" in error_rows[0].error_message
    # Each product's cutout row points at its own service descriptor.
    cutouts = {link.id: link.service_def for link in by_semantics(links, "#cutout")}
    assert set(cutouts) == {did_a, did_b} and len(set(cutouts.values())) == 2

    limited = _links(datalink_server.url, did_a, did_b, MAXREC="3")
    assert b'name="QUERY_STATUS" value="OVERFLOW"' in limited.content
    with pytest.warns(DALOverflowWarning):  # pyvo reads the OVERFLOW status
        assert len(DatalinkResults.from_result_url(limited.url)) == 3


def test_bad_requests_are_dali_errors(datalink_server) -> None:
    for params, needle in (({}, "ID parameter is required"),
                           ({"ID": datalink_server.extra_did, "RESPONSEFORMAT": "text/csv"},
                            "RESPONSEFORMAT"),
                           ({"ID": datalink_server.extra_did, "MAXREC": "-1"}, "MAXREC")):
        answer = requests.get(f"{datalink_server.url}/datalink/links", params=params,
                              timeout=60)
        assert answer.status_code == 400, params
        assert needle in dali_error(answer.content)
    assert votlint(answer.content) == ""


def test_capabilities_and_availability(datalink_server) -> None:
    capabilities = requests.get(f"{datalink_server.url}/datalink/capabilities", timeout=60)
    assert "ivo://ivoa.net/std/DataLink#links-1.1" in capabilities.text
    assert f"{datalink_server.url}/soda/sync" in capabilities.text
    service = DatalinkService(f"{datalink_server.url}/datalink/links")
    found = service.run_sync(datalink_server.extra_did)
    assert next(by_semantics(found, "#this")).content_type == "application/fits"
    availability = requests.get(f"{datalink_server.url}/datalink/availability", timeout=60)
    assert "<vosi:available>true</vosi:available>" in availability.text


def test_image_products_have_a_region_cutout_and_no_preview(datalink_server) -> None:
    did, dp_id = one_row(datalink_server.settings,
                         "SELECT obs_publisher_did, dp_id FROM ivoa.obscore WHERE "
                         "dataproduct_type = 'image' AND soxs.is_released(obs_release_date) "
                         "ORDER BY dp_id LIMIT 1")
    answer = _links(datalink_server.url, did)
    assert votlint(answer.content) == ""
    links = DatalinkResults.from_result_url(answer.url)
    semantics = {link.semantics for link in links}
    assert "#this" in semantics and "#progenitor" in semantics
    assert "#preview" not in semantics
    cutout = next(by_semantics(links, "#cutout"))
    assert "sky region" in cutout.description
    service = links.get_adhocservice_by_id(cutout.service_def)
    params = {p.name for group in service.groups for p in group.entries}
    assert {"ID", "POS", "CIRCLE", "POLYGON"} <= params and "BAND" not in params
    assert "spectrum" in " ".join(c.description for c in by_semantics(links, "#counterpart"))
    assert requests.get(f"{datalink_server.url}/preview/{dp_id}.png",
                        timeout=60).status_code == 404
    wrong = requests.get(f"{datalink_server.url}/soda/sync", timeout=60,
                         params={"ID": did, "BAND": "5e-7 6e-7"})
    assert wrong.status_code == 400 and "cut by sky region" in dali_error(wrong.content)


def test_astropy_tables_of_links_have_the_datalink_column_names(datalink_server) -> None:
    # astropy names a column after its FIELD ID when there is one: dl_semantics would break
    # the row["semantics"] that scripts reading the links with to_table() write.
    answer = _links(datalink_server.url, datalink_server.extra_did)
    table = parse_single_table(io.BytesIO(answer.content)).to_table()
    assert {"ID", "access_url", "semantics", "content_type"} <= set(table.colnames)
    assert "#this" in {row["semantics"] for row in table}
