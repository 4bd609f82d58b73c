"""INTERSECTS/CONTAINS of s_region with a constant shape: q3c's index first, the exact test
last, and exactly the rows the exact test alone gives.

The plans are those the service runs (the query translated by ``/tap/sync``'s ``prepare``, as
the anonymous reader, under row-level security) on a few thousand ObsCore footprints.
"""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.access import ANONYMOUS, begin_as_reader, forbid_writes
from soxsvo.tap.query import prepare

ROWS = 3000
FILL = """
SELECT setseed(0.2);
CREATE TEMPORARY TABLE squares ON COMMIT DROP AS
SELECT i, 360 * random() AS ra, degrees(asin(1.8 * random() - 0.9)) AS dec,
       0.1 + 2 * random() AS side FROM generate_series(1, %(n)s) AS i;
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, arm, file_path, original_name,
                          sha256, md5, file_size)
SELECT 'ivo://test/soxs?T.' || i, 'T.' || i, 'ACQUISITION.IMAGE', 'ACQ', '/t/' || i,
       't.fits', md5('a' || i) || md5('b' || i), md5('a' || i), 1 FROM squares;
INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, obs_release_date, data_rights, access_url, access_format,
    access_estsize, s_ra, s_dec, s_fov, s_region, em_min, em_max, facility_name,
    instrument_name, dp_id, prodcatg)
SELECT 'image', 2, 'SOXS', 'OB' || i, 'ivo://test/soxs?T.' || i, '2024-01-01', 'public',
       'http://t/' || i, 'application/fits', 1, ra, dec, side * 1.5,
       ARRAY[ra - h, dec - side / 2, ra + h, dec - side / 2, ra + h, dec + side / 2,
             ra - h, dec + side / 2],
       (ARRAY[3.5e-7, 1.2e-6])[1 + mod(i, 2)], (ARRAY[8.5e-7, 1.3e-6])[1 + mod(i, 2)],
       'ESO-NTT', 'SOXS', 'T.' || i, 'ACQUISITION.IMAGE'
FROM squares, LATERAL (SELECT side / 2 / cos(radians(dec)) AS h) AS w
"""
SHAPES = {
    "circle": ("CIRCLE(120.5, 30.2, 3)", "ARRAY[120.5, 30.2, 3]"),
    "polygon": ("POLYGON(118, 28, 124, 28.5, 123, 33, 119, 32)",
                "ARRAY[118, 28, 124, 28.5, 123, 33, 119, 32]"),
}


@pytest.fixture
def footprints(settings) -> str:
    """A database whose ObsCore table has ROWS public square footprints of 0.1-2.1 deg."""
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        for statement in FILL.split(";\n"):
            conn.execute(statement, {"n": ROWS} if "%(n)s" in statement else None)
        conn.execute("ANALYZE ivoa.obscore")
    return settings.database_url


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _as_reader(conninfo: str, adql: str) -> tuple[dict, set[str]]:
    """The plan and the rows of ``adql`` as the service runs it."""
    with psycopg.connect(conninfo) as conn:
        begin_as_reader(conn, 30, ANONYMOUS)
        forbid_writes(conn)
        prepared = prepare(adql, (), conn)
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + prepared.sql,
                            prepared.params).fetchone()[0][0]
        rows = {r[0] for r in conn.execute(prepared.sql, prepared.params)}
    return plan, rows


@pytest.mark.parametrize("shape", SHAPES)
def test_region_predicate_scans_the_q3c_index_then_the_exact_test(footprints, shape) -> None:
    adql, array = SHAPES[shape]
    plan, rows = _as_reader(footprints, "SELECT obs_publisher_did FROM ivoa.obscore WHERE "
                                        f"INTERSECTS(s_region, {adql}) = 1")
    nodes = list(_nodes(plan["Plan"]))
    assert "obscore_q3c" in {n.get("Index Name") for n in nodes}
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes)
    scan = next(n for n in nodes if "soxs_adql.intersects" in n.get("Filter", ""))
    # A filter's conditions run in the order shown: the exact test on what the cone kept.
    assert scan["Filter"].index("q3c_sindist") < scan["Filter"].index("soxs_adql.intersects")
    assert "JIT" not in plan
    with psycopg.connect(footprints) as conn:
        exact = {r[0] for r in conn.execute(
            "SELECT obs_publisher_did FROM ivoa.obscore WHERE "
            f"soxs_adql.intersects(s_region, CAST({array} AS double precision[]))")}
    assert rows == exact and len(exact) > 3


def test_eso_intersection_self_join_filters_both_sides_by_index(footprints) -> None:
    # The ESO showcase (osci2 in tests/data/adql/ivoa/X1_obscore_eso.xml): two footprint
    # sets around one position, paired by overlap area.
    side = ("(SELECT * FROM ivoa.obscore WHERE dataproduct_type = 'image' AND "
            "INTERSECTS(CIRCLE('ICRS', 120.5, 30.2, 5), s_region) = 1 AND em_max {} 1e-6)")
    plan, rows = _as_reader(
        footprints,
        "SELECT J.obs_publisher_did, H.obs_publisher_did AS h_did, "
        f"ESO_INTERSECTION(J.s_region, H.s_region) AS overlap FROM {side.format('<')} AS J, "
        f"{side.format('>')} AS H WHERE INTERSECTS(J.s_region, H.s_region) = 1 AND "
        "ESO_INTERSECTION(J.s_region, H.s_region) > 0.01")
    nodes = list(_nodes(plan["Plan"]))
    scans = [n for n in nodes if n.get("Relation Name") == "obscore"]
    assert len(scans) == 2 and all(n["Node Type"] != "Seq Scan" for n in scans)
    assert [n.get("Index Name") for n in nodes].count("obscore_q3c") >= 2
    assert rows
