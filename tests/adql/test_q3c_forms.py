"""Geometric ADQL predicates become index-friendly q3c calls."""

import pytest

from soxsvo.adql import translate

from .helpers import SCHEMA


def sql(adql):
    """Translate ``adql`` against the test schema and return the SQL."""
    return translate(adql, SCHEMA).sql


@pytest.mark.parametrize("form", [
    "CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 10, 20, 1)) = 1",
    "1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 1))",
    "INTERSECTS(CIRCLE(10, 20, 1), POINT(ra, dec)) = 1",
    "CONTAINS(POINT(ra, dec), CIRCLE(POINT(10, 20), 1)) = 1",
])
def test_cone(form):
    """Point-in-circle in any spelling is q3c_radial_query on the columns."""
    out = sql(f"SELECT id FROM test.pts WHERE {form}")
    assert 'q3c_radial_query("pts"."ra", "pts"."dec", 10, 20, 1)' in out


def test_cone_negated():
    """``= 0`` negates the predicate."""
    out = sql("SELECT id FROM test.pts WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 0")
    assert "(NOT q3c_radial_query(" in out


def test_polygon():
    """Point-in-polygon is q3c_poly_query with an ARRAY of vertices."""
    out = sql("SELECT id FROM test.pts WHERE "
              "CONTAINS(POINT(ra, dec), POLYGON(10, 10, 12, 10, 11, 12)) = 1")
    assert 'q3c_poly_query("pts"."ra", "pts"."dec", ARRAY[10, 10, 12, 10, 11, 12])' in out


def test_box_is_polygon():
    """BOX becomes its four vertices for q3c_poly_query."""
    out = sql("SELECT id FROM test.pts WHERE CONTAINS(POINT(ra, dec), BOX(10, 20, 2, 4)) = 1")
    assert 'q3c_poly_query("pts"."ra", "pts"."dec", ARRAY[8.949189418141847, 1' in out


def test_large_polygon_cone_and_exact():
    """Polygons too large for q3c use a q3c cone around them plus the exact test."""
    out = sql("SELECT id FROM test.pts WHERE "
              "CONTAINS(POINT(ra, dec), POLYGON(0, 80, 90, 80, 180, 80, 270, 80)) = 1")
    assert "q3c_radial_query(" in out and "soxs_adql.point_in_polygon(" in out


def test_crossmatch_join():
    """DISTANCE(...) < r in ON becomes q3c_join."""
    out = sql("SELECT a.id FROM test.pts AS a JOIN test.other AS b "
              "ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < 0.01")
    assert 'q3c_join("a"."ra", "a"."dec", "b"."ra", "b"."dec", 0.01)' in out


def test_distance_reversed_constant_first():
    """``r > DISTANCE`` works, and a constant point goes first (index on the columns)."""
    out = sql("SELECT id FROM test.pts WHERE 0.5 > DISTANCE(POINT(ra, dec), POINT(1, 2))")
    assert 'q3c_join(1, 2, "pts"."ra", "pts"."dec", 0.5)' in out


def test_distance_value():
    """DISTANCE in the select list is q3c_dist, in degrees."""
    t = translate("SELECT DISTANCE(POINT(ra, dec), POINT(1, 2)) AS d FROM test.pts", SCHEMA)
    assert 'q3c_dist("pts"."ra", "pts"."dec", 1, 2)' in t.sql
    assert t.columns[0].unit == "deg" and t.columns[0].datatype == "double"


def test_region_column_coarse_filter():
    """A region column gets a q3c pre-filter on its centre and size plus the exact test."""
    out = sql("SELECT id FROM test.regions WHERE INTERSECTS(s_region, CIRCLE(1, 2, 0.5)) = 1")
    assert 'q3c_join(1, 2, "regions"."s_ra", "regions"."s_dec", (0.5) + ("regions"."s_fov")' \
        in out
    assert "soxs_adql.intersects(" in out


def test_region_column_index_bound():
    """With max_region_fov the pre-filter has a constant radius (index scan)."""
    asked = []
    t = translate("SELECT id FROM test.regions WHERE CONTAINS(POINT(1, 2), s_region) = 1",
                  SCHEMA, max_region_fov=lambda sql: asked.append(sql) or 2.0)
    assert '"regions"."s_dec", (0) + 1.0)' in t.sql
    assert asked == ['SELECT max("s_fov") FROM "test"."regions"']


def test_geometry_select_xtypes():
    """Geometry values in the select list carry DALI xtypes and array sizes."""
    t = translate("SELECT POINT(ra, dec), CIRCLE(ra, dec, 1), POLYGON(1, 2, 3, 4, 5, 6), "
                  "s_region FROM test.pts, test.regions", SCHEMA)
    got = [(c.datatype, c.arraysize, c.xtype) for c in t.columns]
    assert got == [("double", "2", "point"), ("double", "3", "circle"),
                   ("double", "*", "polygon"), ("double", "*", "polygon")]


@pytest.mark.parametrize("points", ["POINT(u.ra, u.dec), POINT(b.ra, b.dec)",
                                    "POINT(b.ra, b.dec), POINT(u.ra, u.dec)"])
def test_uploaded_point_goes_first(points):
    """Against an uploaded table, the archive table's point is on q3c_join's index side
    whichever order the query names them."""
    from soxsvo.db.metadata import TableMeta

    pts = next(t for t in SCHEMA if t.name == "pts")
    upload = TableMeta(schema="tap_upload", name="mine", description="", columns=pts.columns)
    out = translate("SELECT u.id FROM TAP_UPLOAD.mine AS u JOIN test.other AS b "
                    f"ON DISTANCE({points}) < 0.01", (*SCHEMA, upload)).sql
    assert 'q3c_join("u"."ra", "u"."dec", "b"."ra", "b"."dec", 0.01)' in out


@pytest.mark.parametrize(("circle", "archive_indexed"), [
    ("CIRCLE(b.ra, b.dec, 0.01)", True),
    ("CIRCLE(POINT(b.ra, b.dec), u.ra)", True),
    ("CIRCLE(b.ra, b.dec, b.ra)", False),  # radius of the archive row: no probe per upload
])
def test_uploaded_point_in_archive_circles(circle, archive_indexed):
    """CONTAINS(uploaded point, circle around archive positions) is a q3c_join probing the
    archive's index from each uploaded row."""
    from soxsvo.db.metadata import TableMeta

    pts = next(t for t in SCHEMA if t.name == "pts")
    upload = TableMeta(schema="tap_upload", name="mine", description="", columns=pts.columns)
    out = translate("SELECT u.id FROM TAP_UPLOAD.mine AS u JOIN test.other AS b "
                    f"ON CONTAINS(POINT(u.ra, u.dec), {circle}) = 1", (*SCHEMA, upload)).sql
    # q3c_join's second pair is the indexed one
    pairs = '"u"."ra", "u"."dec", "b"."ra", "b"."dec"' if archive_indexed else \
        '"b"."ra", "b"."dec", "u"."ra", "u"."dec"'
    assert f"q3c_join({pairs}," in out


def test_point_in_circles_of_another_table_is_q3c_join():
    """A circle around each row of another table is a join: q3c_join, index on the points."""
    out = sql("SELECT a.id FROM test.pts AS a JOIN test.other AS b "
              "ON CONTAINS(POINT(a.ra, a.dec), CIRCLE(b.ra, b.dec, 0.01)) = 1")
    assert 'q3c_join("b"."ra", "b"."dec", "a"."ra", "a"."dec", 0.01)' in out
