"""TAP sync: parameters, formats, MAXREC overflow, errors as DALI documents, read-only role."""

from __future__ import annotations

import io

import psycopg
import pytest
from astropy.io import votable


def _table(response):
    return votable.parse_single_table(io.BytesIO(response.data), verify="ignore").to_table()


def _status(response) -> list[tuple[str, str]]:
    doc = votable.parse(io.BytesIO(response.data), verify="ignore")
    infos = [(i.name, i.value) for r in doc.resources for i in r.infos]
    return [pair for pair in infos if pair[0] == "QUERY_STATUS"]


def test_cone_search_matches_sql(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        ra, dec = conn.execute("SELECT ra, dec FROM marshall.transient LIMIT 1").fetchone()
        expected = conn.execute(
            "SELECT name FROM marshall.transient WHERE q3c_radial_query(ra, dec, %s, %s, 5) "
            "ORDER BY name", (ra, dec)).fetchall()
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "QUERY": f"SELECT name FROM marshall.transient WHERE "
        f"CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra}, {dec}, 5)) = 1 ORDER BY name"})
    assert answer.status_code == 200
    assert answer.mimetype.startswith("application/x-votable+xml")
    assert [str(n) for n in _table(answer)["name"]] == [r[0] for r in expected]
    assert _status(answer) == [("QUERY_STATUS", "OK")]


def test_parameter_names_are_case_insensitive_and_post_works(client) -> None:
    answer = client.post("/tap/sync", data={"lang": "ADQL", "query": "SELECT COUNT(*) AS n "
                                            "FROM marshall.transient", "request": "doQuery"})
    assert answer.status_code == 200
    assert int(_table(answer)["n"][0]) == 12


def test_maxrec_overflow_is_signalled_after_the_table(client) -> None:
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "MAXREC": "3", "QUERY": "SELECT name FROM marshall.transient"})
    assert len(_table(answer)) == 3
    text = answer.get_data(as_text=True)
    assert text.index('value="OVERFLOW"') > text.index("</TABLE>")


def test_maxrec_zero_returns_metadata_only(client) -> None:
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "MAXREC": "0", "QUERY": "SELECT s_ra, s_dec FROM ivoa.obscore"})
    table = _table(answer)
    assert len(table) == 0
    assert table["s_ra"].unit == "deg"


@pytest.mark.parametrize(("fmt", "mime"), [
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"), ("fits", "application/fits"),
    ("json", "application/json"), ("votable/td", "application/x-votable+xml"),
])
def test_response_formats(client, fmt: str, mime: str) -> None:
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "RESPONSEFORMAT": fmt,
        "QUERY": "SELECT TOP 4 name, ra, dec FROM marshall.transient ORDER BY name"})
    assert answer.status_code == 200
    assert answer.mimetype == mime
    assert len(answer.data) > 0


@pytest.mark.parametrize(("params", "fragment"), [
    ({"LANG": "ADQL", "QUERY": "SELECT nosuch FROM ivoa.obscore"}, "nosuch"),
    ({"LANG": "ADQL", "QUERY": "SELECT * FROM nosuch.thing"}, "nosuch"),
    ({"LANG": "ADQL", "QUERY": "SELEKT * FROM ivoa.obscore"}, "line 1"),
    ({"LANG": "SQL", "QUERY": "SELECT 1"}, "LANG=SQL"),
    ({"QUERY": "SELECT 1"}, "LANG is missing"),
    ({"LANG": "ADQL"}, "QUERY is missing"),
    ({"LANG": "ADQL", "QUERY": "SELECT 1", "MAXREC": "many"}, "MAXREC"),
    ({"LANG": "ADQL", "QUERY": "SELECT 1", "RESPONSEFORMAT": "xls"}, "xls"),
    ({"LANG": "ADQL", "QUERY": "SELECT * FROM pg_catalog.pg_authid"}, "pg_authid"),
    ({"LANG": "ADQL", "QUERY": "SELECT 1; DROP TABLE ivoa.obscore"}, "line 1"),
])
def test_errors_are_dali_documents_that_say_what(client, params, fragment) -> None:
    answer = client.get("/tap/sync", query_string=params)
    assert answer.status_code == 400
    assert _status(answer)[0][1] == "ERROR"
    assert fragment.lower() in answer.get_data(as_text=True).lower()


def test_queries_run_as_the_read_only_role(client) -> None:
    answer = client.get("/tap/sync", query_string={
        "LANG": "ADQL", "QUERY": "SELECT TOP 1 column_name FROM tap_schema.columns"})
    assert answer.status_code == 200
    from soxsvo.access import READER_ROLE

    with (pytest.raises(psycopg.errors.InsufficientPrivilege),
          psycopg.connect(client.application.config["SOXSVO"].database_url) as conn):
        conn.execute(f"SET ROLE {READER_ROLE}")
        conn.execute("DELETE FROM ivoa.obscore")


def test_cors_header_for_browser_clients(client) -> None:
    answer = client.get("/tap/capabilities")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_upload_crossmatch_with_q3c(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        rows = conn.execute("SELECT name, ra, dec FROM marshall.transient "
                            "ORDER BY name LIMIT 3").fetchall()
    csv = "id,ra,dec\n" + "".join(f"{i},{r[1]},{r[2]}\n" for i, r in enumerate(rows))
    csv += "99,1.0,1.0\n"
    answer = client.post("/tap/sync", data={
        "LANG": "ADQL", "UPLOAD": "mine,param:cat",
        "QUERY": "SELECT u.id, t.name FROM TAP_UPLOAD.mine AS u JOIN marshall.transient AS t "
                 "ON DISTANCE(POINT('', u.ra, u.dec), POINT('', t.ra, t.dec)) < 1.0/3600 "
                 "ORDER BY u.id",
        "cat": (io.BytesIO(csv.encode()), "cat.csv")})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    table = _table(answer)
    assert [str(n) for n in table["name"]] == [r[0] for r in rows]


def test_url_uploads_are_refused(client) -> None:
    answer = client.post("/tap/sync", data={
        "LANG": "ADQL", "UPLOAD": "t,http://169.254.169.254/latest",
        "QUERY": "SELECT * FROM TAP_UPLOAD.t"})
    assert answer.status_code == 400
    assert "only from its configured hosts" in answer.get_data(as_text=True)
