"""Registration round trip: a file ingested → its ObsCore row → found by a TAP query → its
access URL (the DataLink document) → the ``#this`` link answers the same bytes (checksum equal
to the input's)."""

from __future__ import annotations

import csv
import hashlib
import io
from urllib.parse import urlsplit

import psycopg
from astropy.io.votable import parse_single_table
from test_ingest_support import write_tiny

from soxsvo.archive.ingest import ingest_paths
from soxsvo.archive.register import ArchiveConfig
from soxsvo.web.app import create_app


def test_ingested_file_found_by_tap_and_downloaded_byte_identical(tmp_path, settings,
                                                                 db_conninfo):
    with psycopg.connect(db_conninfo) as conn:  # a public programme: released at once
        conn.execute("INSERT INTO soxs.programme (proposal_id, proprietary_months) "
                     "VALUES ('116.28A1.001', 0)")
    product = write_tiny(tmp_path / "in", 7, prog_id="116.28A1.001")
    original = product.read_bytes()
    summary = ingest_paths(lambda: psycopg.connect(db_conninfo), [product],
                           ArchiveConfig.from_settings(settings))
    assert summary.count("registered") == 1
    did = summary.outcomes[0].registration.publisher_did

    client = create_app(settings).test_client()
    answer = client.get("/tap/sync", query_string={
        "REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "csv",
        "QUERY": f"SELECT obs_publisher_did, access_url, access_estsize FROM ivoa.obscore "
                 f"WHERE obs_publisher_did = '{did}'"})
    assert answer.status_code == 200, answer.data[:500]
    [row] = list(csv.DictReader(io.StringIO(answer.data.decode())))
    assert row["obs_publisher_did"] == did
    assert int(row["access_estsize"]) == -(-len(original) // 1000)

    parts = urlsplit(row["access_url"])
    links = client.get(f"{parts.path}?{parts.query}")
    assert links.status_code == 200, links.data[:500]
    table = parse_single_table(io.BytesIO(links.data)).to_table(use_names_over_ids=True)
    [this] = [link for link in table if link["semantics"] == "#this"]
    download = client.get(urlsplit(str(this["access_url"])).path)
    assert download.status_code == 200
    assert download.data == original
    assert hashlib.sha256(download.data).hexdigest() == hashlib.sha256(original).hexdigest()
