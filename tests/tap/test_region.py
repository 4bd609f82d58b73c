"""ObsCore s_region over TAP: an ADQL region (char, xtype adql:REGION, STC-S values) as
ObsCore 1.1 publishes it, while CONTAINS/INTERSECTS on it stay exact and indexed."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import psycopg
from astropy.io import votable


def _table(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return votable.parse_single_table(io.BytesIO(response.data), verify="ignore")


def _sync(client, query: str, **extra: str):
    return client.get("/tap/sync", query_string={"LANG": "ADQL", "QUERY": query, **extra})


def test_s_region_comes_out_as_stcs_with_adql_region_metadata(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        obs_id, stored = conn.execute(
            "SELECT obs_id, s_region FROM ivoa.obscore WHERE s_region IS NOT NULL "
            "AND soxs.is_released(obs_release_date) "
            "ORDER BY obs_id LIMIT 1").fetchone()
    table = _table(_sync(client, f"SELECT obs_id, s_region FROM ivoa.obscore "
                                 f"WHERE obs_id = '{obs_id}'"))
    field = table.get_field_by_id_or_name("s_region")
    assert (field.datatype, field.arraysize, field.xtype) == ("char", "*", "adql:REGION")
    text = str(table.array["s_region"][0])
    words = text.split()
    assert words[:2] == ["POLYGON", "ICRS"]
    assert [float(w) for w in words[2:]] == stored


def test_geometry_predicates_on_s_region_match_the_stored_polygons(client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        obs_id, ra, dec = conn.execute(
            "SELECT obs_id, s_ra, s_dec FROM ivoa.obscore WHERE s_region IS NOT NULL "
            "AND soxs.is_released(obs_release_date) "
            "ORDER BY obs_id LIMIT 1").fetchone()
    contains = _table(_sync(client, "SELECT obs_id FROM ivoa.obscore WHERE "
                                    f"CONTAINS(POINT('ICRS', {ra}, {dec}), s_region) = 1"))
    assert obs_id in [str(v) for v in contains.array["obs_id"]]
    far = _table(_sync(client, "SELECT obs_id FROM ivoa.obscore WHERE INTERSECTS("
                               f"CIRCLE('ICRS', {(ra + 180) % 360}, {-dec}, 0.01), "
                               "s_region) = 1"))
    assert obs_id not in [str(v) for v in far.array["obs_id"]]
    # A region used inside the query stays a region; only the result is STC-S.
    nested = _table(_sync(client, "SELECT q.obs_id, q.s_region FROM (SELECT obs_id, s_region "
                                  "FROM ivoa.obscore) AS q WHERE INTERSECTS(q.s_region, "
                                  f"CIRCLE('ICRS', {ra}, {dec}, 0.001)) = 1 ORDER BY q.obs_id"))
    assert obs_id in [str(v) for v in nested.array["obs_id"]]
    assert all(str(v).startswith("POLYGON ICRS ") for v in nested.array["s_region"])


def test_vosi_and_tap_schema_publish_s_region_as_adql_region(client) -> None:
    root = ET.fromstring(client.get("/tap/tables/ivoa.obscore").data)
    column = next(c for c in root.iter("column") if c.findtext("name") == "s_region")
    data_type = column.find("dataType")
    assert data_type.text == "char"
    assert data_type.get("extendedType") == "adql:REGION"
    row = _table(_sync(client, "SELECT datatype, arraysize, xtype FROM tap_schema.columns "
                               "WHERE table_name = 'ivoa.obscore' AND column_name = 's_region'"))
    assert [str(v) for v in row.array[0]] == ["char", "*", "adql:REGION"]
