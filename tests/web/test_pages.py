"""The landing page, health check and product download of the web application."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

import psycopg


def test_landing_page_lists_contents_and_services(client, demo_archive) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with psycopg.connect(demo_archive.database_url) as conn:
        # An anonymous visitor is told about the spectra it may see: the public ones.
        spectra = conn.execute("SELECT count(*) FROM ivoa.obscore "
                               "WHERE soxs.is_public(obs_release_date, data_rights)").fetchone()[0]
    assert re.search(r'id="n-transients">12<', html)
    assert re.search(rf'id="n-spectra">{spectra}<', html)
    assert "/health" in html and "/files/" in html


def test_landing_page_escapes_what_it_shows(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        did, old = conn.execute(
            "SELECT obs_publisher_did, target_name FROM ivoa.obscore "
            "WHERE obs_release_date <= now() AT TIME ZONE 'UTC' ORDER BY t_min DESC LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE ivoa.obscore SET target_name = '<script>alert(1)</script>' "
                     "WHERE obs_publisher_did = %s", (did,))
    try:
        html = client.get("/").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    finally:
        with psycopg.connect(demo_archive.database_url) as conn:
            conn.execute("UPDATE ivoa.obscore SET target_name = %s WHERE obs_publisher_did = %s",
                         (old, did))


def test_health_reports_schema_version(client) -> None:
    from soxsvo.db.migrations import available_migrations

    answer = client.get("/health")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body.pop("jobs")["stuck"] == 0
    assert body == {"status": "ok", "database": "ok",
                    "schema_version": available_migrations()[-1].version}


def test_file_download_is_byte_identical(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        dp_id, did, sha256, access_url = conn.execute(
            "SELECT p.dp_id, p.publisher_did, p.sha256, o.access_url FROM soxs.product p "
            "JOIN ivoa.obscore o "
            "ON o.obs_publisher_did = p.publisher_did "
            "WHERE o.obs_release_date <= now() AT TIME ZONE 'UTC' LIMIT 1").fetchone()
    # ObsCore links the product's DataLink document, whose #this is /files/<dp_id>.
    assert access_url.endswith(f"/datalink/links?ID={quote(did, safe='')}")
    answer = client.get(f"/files/{dp_id}")
    assert answer.status_code == 200
    assert answer.mimetype == "application/fits"
    assert hashlib.sha256(answer.data).hexdigest() == sha256
    again = client.get(f"/files/{dp_id}", headers={"If-None-Match": f'"{sha256}"'})
    assert again.status_code == 304


def test_unknown_file_is_404(client) -> None:
    assert client.get("/files/ADP.1999-01-01T00:00:00.000").status_code == 404
