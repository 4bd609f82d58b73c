"""Anonymous users see released products only: TAP rows, provenance, file downloads."""

from __future__ import annotations

import io

import psycopg
from astropy.io import votable


def _one(conninfo: str, query: str):
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query).fetchone()


def test_tap_shows_released_products_only(client, demo_archive) -> None:
    released, total = _one(demo_archive.database_url,
                           "SELECT count(*) FILTER (WHERE obs_release_date <= now() AT TIME "
                           "ZONE 'UTC'), count(*) FROM ivoa.obscore")
    assert 0 < released < total, "the demo holds both released and proprietary spectra"
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "QUERY": "SELECT COUNT(*) AS n FROM ivoa.obscore"})
    table = votable.parse_single_table(io.BytesIO(answer.data), verify="ignore").to_table()
    assert int(table["n"][0]) == released


def test_proprietary_provenance_and_file_are_hidden(client, demo_archive) -> None:
    did, dp_id = _one(demo_archive.database_url,
                      "SELECT obs_publisher_did, dp_id FROM ivoa.obscore "
                      "WHERE obs_release_date > now() AT TIME ZONE 'UTC' LIMIT 1")
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "QUERY": f"SELECT raw_arcfile FROM soxs.provenance "
                                 f"WHERE publisher_did = '{did}'"})
    table = votable.parse_single_table(io.BytesIO(answer.data), verify="ignore").to_table()
    assert len(table) == 0
    assert client.get(f"/files/{dp_id}").status_code == 404
    assert dp_id not in client.get("/").get_data(as_text=True)
