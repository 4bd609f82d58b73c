"""Real clients against `soxsvo serve`: pyvo's TAPService and astroquery's TapPlus."""

from __future__ import annotations

import psycopg
import pytest
import pyvo
import requests


def test_pyvo_sync_cone_and_maxrec_overflow(served_demo, demo_archive) -> None:
    service = pyvo.dal.TAPService(f"{served_demo}/tap")
    result = service.run_sync("SELECT name, ra, dec FROM marshall.transient ORDER BY name")
    with psycopg.connect(demo_archive.database_url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM marshall.transient ORDER BY name")]
    assert [str(n) for n in result.to_table()["name"]] == names
    # pyvo 1.9 warns only when truncation was not asked for; the status is what tells.
    limited = service.run_sync("SELECT name FROM marshall.transient", maxrec=2)
    assert len(limited) == 2
    assert limited.query_status == "OVERFLOW"


def test_pyvo_tables_and_examples(served_demo) -> None:
    service = pyvo.dal.TAPService(f"{served_demo}/tap")
    tables = service.tables
    assert "ivoa.obscore" in list(tables.keys())
    assert tables["ivoa.obscore"].columns[0].name == "dataproduct_type"
    examples = service.examples
    assert len(examples) >= 10
    first = examples[0].execute()
    assert len(first.to_table().colnames) == 5


def test_pyvo_async_job(served_demo) -> None:
    service = pyvo.dal.TAPService(f"{served_demo}/tap")
    table = service.run_async("SELECT COUNT(*) AS n FROM marshall.transient").to_table()
    assert int(table["n"][0]) == 12


def test_astroquery_tapplus_sync_and_async(served_demo) -> None:
    from astroquery.utils.tap.core import TapPlus

    tap = TapPlus(url=f"{served_demo}/tap", verbose=False)
    sync = tap.launch_job("SELECT TOP 3 name FROM marshall.transient ORDER BY name").get_results()
    assert len(sync) == 3
    job = tap.launch_job_async("SELECT COUNT(*) AS n FROM ivoa.obscore")
    assert int(job.get_results()["n"][0]) > 0


def test_astroquery_tapplus_load_tables_needs_esa_vosi(served_demo) -> None:
    """TapPlus.load_tables/load_table parse ESA's VOSI dialect only: every <column> must carry
    ESA's ``esatapplus:flags`` attribute, which standard VOSI 1.1 (soxsvo, DaCHS...) does not
    have. What a user gets, and the workaround documented in docs/taplint.md: read the
    metadata from TAP_SCHEMA with an ordinary query (or use pyvo's TAPService.tables)."""
    from astroquery.utils.tap.core import TapPlus

    tap = TapPlus(url=f"{served_demo}/tap", verbose=False)
    with pytest.raises(KeyError, match="esatapplus:flags"):
        tap.load_tables(verbose=False)
    with pytest.raises(KeyError, match="esatapplus:flags"):
        tap.load_table("ivoa.obscore", verbose=False)
    columns = tap.launch_job(
        "SELECT column_name, datatype, unit, ucd FROM tap_schema.columns "
        "WHERE table_name = 'ivoa.obscore' ORDER BY column_index").get_results()
    assert list(columns["column_name"][:2]) == ["dataproduct_type", "dataproduct_subtype"]


def test_too_long_get_is_a_dali_414(served_demo: str) -> None:
    # gunicorn refuses the request line before Flask sees it; the answer must still be one a
    # VO client reads, saying to POST instead.
    query = "SELECT * FROM ivoa.obscore WHERE " + " OR ".join(["1=1"] * 3000)
    response = requests.get(f"{served_demo}/tap/sync",
                            params={"LANG": "ADQL", "QUERY": query}, timeout=30)
    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("application/x-votable+xml")
    assert b'name="QUERY_STATUS" value="ERROR"' in response.content
    assert b"POST" in response.content


def test_astroquery_tapplus_upload(served_demo, tmp_path) -> None:
    # TapPlus sends its multipart boundary unquoted although it contains '=' (RFC 2046 wants
    # it quoted); the upload must still be read, not refused for a missing LANG.
    from astropy.table import Table
    from astroquery.utils.tap.core import TapPlus

    path = tmp_path / "mine.xml"
    Table({"id": [1, 2], "ra": [10.0, 20.0]}).write(path, format="votable")
    tap = TapPlus(url=f"{served_demo}/tap", verbose=False)
    job = tap.launch_job("SELECT id, ra FROM tap_upload.mine ORDER BY id",
                         upload_resource=str(path), upload_table_name="mine")
    result = job.get_results()
    assert list(result["id"]) == [1, 2] and list(result["ra"]) == [10.0, 20.0]
