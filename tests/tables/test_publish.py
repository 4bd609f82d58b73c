"""``soxsvo table publish``: a file of any format becomes a TAP table (and a cone search) with
its types and metadata; re-publishing replaces it; consortium tables are members-only; bad
input is one line and exit 2."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.table import Column, Table
from click.testing import CliRunner

from soxsvo.cli.main import main
from soxsvo.tables.publish import publish_table
from tests.support import app_over

#: Larger than 2**53: a double or a text column would not keep it exactly.
BIG_ID = 4_295_806_720_123_456_789


def _catalogue(n: int = 50) -> Table:
    rng = np.random.default_rng(3)
    table = Table()
    table["source_id"] = Column(BIG_ID + np.arange(n, dtype=np.int64))
    table["ra"] = Column(150.0 + rng.uniform(-0.5, 0.5, n), unit="deg")
    table["dec"] = Column(2.0 + rng.uniform(-0.5, 0.5, n), unit="deg")
    table["gmag"] = Column(rng.uniform(15, 20, n).astype(np.float32), unit="mag",
                           description="Gaia G magnitude")
    table["gmag"].meta["ucd"] = "phot.mag;em.opt"
    table["flag"] = Column(np.arange(n, dtype=np.int16) % 3)
    table["label"] = Column([f"star {i}" for i in range(n)])
    return table


def _write(table: Table, folder, fmt: str):
    path = folder / {"fits": "cat.fits", "votable": "cat.vot", "csv": "cat.csv",
                     "parquet": "cat.parquet"}[fmt]
    if fmt == "fits":
        hdu = fits.table_to_hdu(table)
        hdu.header["TUCD4"] = "phot.mag;em.opt"
        hdu.header["TCOMM4"] = "Gaia G magnitude"
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    else:
        table.write(path, format={"votable": "votable", "csv": "ascii.csv",
                                  "parquet": "parquet"}[fmt])
    return path


def _tap(client, query: str, headers=None) -> Table:
    response = client.post("/tap/sync", data={"REQUEST": "doQuery", "LANG": "ADQL",
                                               "QUERY": query}, headers=headers or {})
    assert response.status_code == 200, response.data[:500]
    return parse_single_table(io.BytesIO(response.data)).to_table()


@pytest.mark.parametrize("fmt", ["fits", "votable", "csv", "parquet"])
def test_published_file_is_queryable_with_its_types(settings, db_conn, tmp_path, fmt) -> None:
    path = _write(_catalogue(), tmp_path, fmt)
    done = publish_table(db_conn, f"cat.stars_{fmt}", path)
    assert done.n_rows == 50 and done.position == ("ra", "dec")
    with app_over(settings) as app:
        rows = _tap(app.test_client(), f"SELECT source_id, gmag, flag, label FROM cat.stars_{fmt} "
                                       "ORDER BY source_id")
    assert rows["source_id"].dtype == np.int64
    assert rows["source_id"][0] == BIG_ID and rows["source_id"][-1] == BIG_ID + 49
    assert list(rows["label"][:2]) == ["star 0", "star 1"]
    assert list(rows["flag"][:4]) == [0, 1, 2, 0]
    types = dict(db_conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'cat' AND table_name = %s", (f"stars_{fmt}",)).fetchall())
    assert types["source_id"] == "bigint"
    assert types["ra"] == "double precision"


@pytest.mark.parametrize("fmt", ["fits", "votable"])
def test_units_ucds_and_descriptions_come_from_the_file(settings, db_conn, tmp_path,
                                                        fmt) -> None:
    publish_table(db_conn, "cat.stars", _write(_catalogue(), tmp_path, fmt))
    with app_over(settings) as app:
        client = app.test_client()
        columns = _tap(client, "SELECT column_name, unit, ucd, description, datatype "
                               "FROM tap_schema.columns WHERE table_name = 'cat.stars'")
        tables = client.get("/tap/tables").data.decode()
    by_name = {row["column_name"]: row for row in columns}
    assert by_name["gmag"]["unit"] == "mag"
    assert by_name["gmag"]["ucd"] == "phot.mag;em.opt"
    assert by_name["gmag"]["description"] == "Gaia G magnitude"
    assert by_name["source_id"]["datatype"] == "long"
    assert by_name["ra"]["ucd"] == "pos.eq.ra;meta.main"
    assert "<name>cat</name>" in tables and "<name>cat.stars</name>" in tables


def test_metadata_file_overrides_the_files(settings, db_conn, tmp_path) -> None:
    meta = tmp_path / "stars.toml"
    meta.write_text('description = "Bright stars near COSMOS."\n'
                    '[[columns]]\nname = "flag"\ndatatype = "short"\n'
                    'ucd = "meta.code.qual"\ndescription = "Quality flag"\n')
    publish_table(db_conn, "cat.stars", _write(_catalogue(), tmp_path, "parquet"), metadata=meta)
    with app_over(settings) as app:
        client = app.test_client()
        tables = _tap(client, "SELECT description FROM tap_schema.tables "
                              "WHERE table_name = 'cat.stars'")
        columns = _tap(client, "SELECT ucd, description FROM tap_schema.columns "
                               "WHERE table_name = 'cat.stars' AND column_name = 'flag'")
    assert tables["description"][0] == "Bright stars near COSMOS."
    assert (columns["ucd"][0], columns["description"][0]) == ("meta.code.qual", "Quality flag")


def test_cone_search_serves_a_table_with_a_position(settings, db_conn, tmp_path) -> None:
    table = _catalogue()
    publish_table(db_conn, "cat.stars", _write(table, tmp_path, "parquet"))
    # The q3c index exists and the table is clustered on it (50 rows alone would be scanned).
    index = db_conn.execute("SELECT i.indisclustered, pg_get_indexdef(i.indexrelid) "
                            "FROM pg_index i WHERE i.indrelid = 'cat.stars'::regclass").fetchall()
    assert len(index) == 1 and index[0][0] and 'q3c_ang2ipix(ra, "dec")' in index[0][1]
    with app_over(settings) as app:
        response = app.test_client().get("/scs/cat.stars?RA=150&DEC=2&SR=0.2")
    assert response.status_code == 200, response.data[:500]
    found = parse_single_table(io.BytesIO(response.data)).to_table()
    separation = np.hypot((table["ra"] - 150) * np.cos(np.radians(2)), table["dec"] - 2)
    expected = set(table["source_id"][separation < 0.199])
    assert expected and expected <= {int(v) for v in found["source_id"]}
    assert len(found) < len(table)


def test_republishing_replaces_the_table(settings, db_conn, tmp_path) -> None:
    publish_table(db_conn, "cat.stars", _write(_catalogue(50), tmp_path, "parquet"))
    smaller = tmp_path / "again"
    smaller.mkdir()
    publish_table(db_conn, "cat.stars", _write(_catalogue(7), smaller, "parquet"))
    with app_over(settings) as app:
        rows = _tap(app.test_client(), "SELECT COUNT(*) AS n FROM cat.stars")
    assert int(rows["n"][0]) == 7
    leftovers = db_conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'cat'")
    assert leftovers.fetchone()[0] == 1


def test_consortium_table_is_for_members_only(settings, db_conn, tmp_path) -> None:
    from soxsvo.access import tokens, users

    users.add_user(db_conn, "member", "correct horse battery", "Member")
    users.grant(db_conn, "member", role="consortium")
    token = tokens.create_token(db_conn, "member", "tables test")
    db_conn.commit()
    publish_table(db_conn, "cat.private", _write(_catalogue(), tmp_path, "parquet"),
                  access="consortium")
    query = "SELECT COUNT(*) AS n FROM cat.private"
    with app_over(settings) as app:
        client = app.test_client()
        anonymous = _tap(client, query)
        member = _tap(client, query, headers={"Authorization": f"Bearer {token}"})
    assert int(anonymous["n"][0]) == 0
    assert int(member["n"][0]) == 50


def _cli(settings, *words):
    env = {"SOXSVO_DATA_DIR": str(settings.data_path),
           "SOXSVO_DATABASE_URL": settings.database_url}
    return CliRunner().invoke(main, ["table", *words], env=env)


def test_cli_publish_list_describe_drop(settings, tmp_path) -> None:
    path = _write(_catalogue(), tmp_path, "fits")
    published = _cli(settings, "publish", "cat.stars", str(path))
    assert published.exit_code == 0, published.output
    assert "published cat.stars: 50 rows" in published.output
    listed = _cli(settings, "list")
    assert listed.output.startswith("cat.stars\t50\tpublic\tcat.fits")
    described = _cli(settings, "describe", "cat.stars")
    assert "gmag\tfloat\tmag\tphot.mag;em.opt\tGaia G magnitude" in described.output
    reindexed = _cli(settings, "reindex", "cat.stars")
    assert reindexed.exit_code == 0 and "reindexed cat.stars" in reindexed.output
    dropped = _cli(settings, "drop", "cat.stars")
    assert dropped.exit_code == 0
    assert _cli(settings, "list").output == ""
    again = _cli(settings, "drop", "cat.stars")
    assert again.exit_code == 2 and "no published table cat.stars" in again.output
    with app_over(settings) as app:
        response = app.test_client().post("/tap/sync", data={
            "REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT * FROM cat.stars"})
    assert b"cat.stars" in response.data and response.status_code == 400


@pytest.mark.parametrize(("name", "file", "message"), [
    ("cat.stars", "cat.txt", "unknown format"),
    ("cat.stars", "missing.fits", "no such file"),
    ("ivoa.stars", "cat.fits", "schema 'ivoa' is not allowed"),
    ('cat."stars; drop table x', "cat.fits", "is not SCHEMA.TABLE"),
    ("stars", "cat.fits", "is not SCHEMA.TABLE"),
])
def test_cli_bad_input_is_one_line_and_exit_2(settings, tmp_path, name, file, message) -> None:
    _write(_catalogue(), tmp_path, "fits")
    (tmp_path / "cat.txt").write_text("ra dec\n1 2\n")
    result = _cli(settings, "publish", name, str(tmp_path / file))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_a_table_not_published_by_soxsvo_is_not_replaced(settings, db_conn, tmp_path) -> None:
    db_conn.execute("CREATE SCHEMA cat")
    db_conn.execute("CREATE TABLE cat.stars (x int)")
    db_conn.execute("INSERT INTO cat.stars VALUES (1)")
    db_conn.commit()
    result = _cli(settings, "publish", "cat.stars", str(_write(_catalogue(), tmp_path, "fits")))
    assert result.exit_code == 2 and "not replaced" in result.output
    assert db_conn.execute("SELECT x FROM cat.stars").fetchall() == [(1,)]


def test_adql_contains_on_a_published_table(settings, db_conn, tmp_path) -> None:
    table = _catalogue()
    publish_table(db_conn, "cat.stars", _write(table, tmp_path, "csv"))
    with app_over(settings) as app:
        rows = _tap(app.test_client(), "SELECT source_id FROM cat.stars WHERE 1 = CONTAINS("
                                       "POINT(ra, dec), CIRCLE(150, 2, 0.2))")
    separation = np.hypot((table["ra"] - 150) * np.cos(np.radians(2)), table["dec"] - 2)
    inside, outside = table["source_id"][separation < 0.199], table["source_id"][separation > 0.201]
    found = {int(v) for v in rows["source_id"]}
    assert len(inside) > 0 and set(inside) <= found and not found & set(outside)


def test_registry_and_tap_capabilities_list_the_new_cone_search(settings, db_conn,
                                                               tmp_path) -> None:
    publish_table(db_conn, "cat.stars", _write(_catalogue(), tmp_path, "parquet"))
    with app_over(settings) as app:
        client = app.test_client()
        records = client.get("/oai?verb=ListIdentifiers&metadataPrefix=ivo_vor").data.decode()
        capabilities = client.get("/tap/capabilities").data.decode()
        vosi = client.get("/scs/cat.stars/capabilities")
    assert "scs/cat.stars" in records
    assert "/scs/cat.stars" in capabilities
    assert vosi.status_code == 200
