"""ESO's ADQL functions: ESO_INTERSECTION (area of overlap, square degrees) against an
independent grid count and hand-computed cases, and ESO_DATEADD_SEC, in PostgreSQL."""

from __future__ import annotations

import math

import psycopg
import pytest

from soxsvo import adql
from soxsvo.adql.errors import ADQLError
from soxsvo.db.metadata import published_tables

from .sphere_grid import SQ_DEG_PER_SR, overlap_area


def _box(lon: float, lat: float, w: float, h: float) -> list[float]:
    return [lon - w / 2, lat - h / 2, lon + w / 2, lat - h / 2,
            lon + w / 2, lat + h / 2, lon - w / 2, lat + h / 2]


#: (name, region a, region b, grid centre, grid radius)
GRID_CASES = [
    ("boxes near the Galactic Centre", _box(266.42, -29.0, 1.0, 1.0),
     _box(266.72, -28.6, 1.2, 0.9), (266.5, -28.8), 1.2),
    ("tilted quadrilateral and box at dec -72", [10.0, -71.5, 14.0, -72.3, 12.5, -74.0, 8.0, -73.0],
     _box(11.0, -72.5, 3.0, 1.5), (11.0, -72.8), 2.0),
    ("boxes across RA 0", _box(359.8, 10.0, 1.0, 1.0), _box(0.3, 10.3, 1.0, 1.0),
     (0.05, 10.1), 1.2),
    ("L-shaped (non-convex) and triangle", [0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2],
     [0.5, 0.5, 2.5, 0.7, 0.6, 2.5], (1.2, 1.2), 2.0),
    ("two circles", [120.0, 45.0, 1.0], [121.2, 45.5, 0.7], (120.5, 45.2), 1.6),
    ("circle and polygon", [200.0, -30.0, 0.8], _box(200.6, -29.7, 1.0, 1.2),
     (200.3, -29.9), 1.4),
    ("L-shaped (non-convex) and circle", [0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2],
     [1.2, 1.2, 0.6], (1.0, 1.0), 1.6),
]


def _area(conn: psycopg.Connection, a: list[float], b: list[float]) -> float | None:
    return conn.execute("SELECT soxs_adql.intersection_area(%s::float8[], %s::float8[])",
                        (a, b)).fetchone()[0]


@pytest.mark.parametrize(("name", "a", "b", "centre", "radius"), GRID_CASES,
                         ids=[c[0] for c in GRID_CASES])
def test_overlap_area_agrees_with_an_independent_grid_count(db_conn, name, a, b, centre,
                                                            radius) -> None:
    reference = overlap_area(a, b, centre, radius)
    assert reference > 0.05, "the case must overlap"
    got = _area(db_conn, a, b)
    assert got == pytest.approx(reference, rel=2e-3)
    assert _area(db_conn, b, a) == pytest.approx(got, rel=1e-9)


def test_two_hemispheres_at_right_angles_share_a_quarter_of_the_sky(db_conn) -> None:
    quarter = math.pi * SQ_DEG_PER_SR
    assert _area(db_conn, [10.0, 0.0, 90.0], [100.0, 0.0, 90.0]) == pytest.approx(quarter,
                                                                                  rel=1e-12)


def test_hand_computed_cases(db_conn) -> None:
    box = _box(50.0, 20.0, 1.0, 1.0)
    area = db_conn.execute("SELECT soxs_adql.area(%s::float8[])", (box,)).fetchone()[0]
    assert _area(db_conn, box, box) == pytest.approx(area, rel=1e-9)
    inner = _box(50.0, 20.0, 0.4, 0.4)
    inner_area = db_conn.execute("SELECT soxs_adql.area(%s::float8[])", (inner,)).fetchone()[0]
    assert _area(db_conn, box, inner) == pytest.approx(inner_area, rel=1e-9)
    assert _area(db_conn, box, _box(53.0, 20.0, 1.0, 1.0)) == 0
    assert _area(db_conn, box, [50.0, 20.0]) == 0  # a point has no area
    # A small circle inside a big one: the small cap, 2 pi (1 - cos r).
    cap = 2 * math.pi * (1 - math.cos(math.radians(0.3))) * SQ_DEG_PER_SR
    assert _area(db_conn, [50.0, 20.0, 2.0], [50.5, 20.2, 0.3]) == pytest.approx(cap, rel=1e-9)
    assert _area(db_conn, [50.0, 20.0, 1.0], [53.0, 20.0, 1.0]) == 0


def test_circle_inside_polygon_is_underestimated_by_at_most_the_stated_bound(db_conn) -> None:
    circle = [80.0, -10.0, 0.5]
    cap = 2 * math.pi * (1 - math.cos(math.radians(0.5))) * SQ_DEG_PER_SR
    got = _area(db_conn, _box(80.0, -10.0, 3.0, 3.0), circle)
    assert cap * (1 - 5.1e-5) <= got <= cap


def test_two_non_convex_polygons_give_null_not_a_wrong_area(db_conn) -> None:
    ell = [0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2]
    assert _area(db_conn, ell, [x + 0.5 for x in ell]) is None


def test_eso_functions_translate_case_insensitively_and_run(db_conn) -> None:
    query = ("SELECT Eso_Intersection(CIRCLE('', 10, 0, 90), circle('ICRS', 100, 0, 90)) AS q, "
             "eso_dateadd_sec(-2700, '2019-06-06T09:55:27') AS t, "
             "ESO_DATEADD_SEC(0.5, '2019-06-06T09:55:27') AS u FROM tap_schema.schemas")
    translation = adql.translate(query, published_tables())
    q, t, u = db_conn.execute(translation.sql, translation.params).fetchone()
    assert q == pytest.approx(math.pi * SQ_DEG_PER_SR)
    assert t.isoformat() == "2019-06-06T09:10:27"
    assert u.isoformat() == "2019-06-06T09:55:27.500000"
    q_meta, t_meta, _ = translation.columns
    assert (q_meta.datatype, q_meta.unit) == ("double", "deg**2")
    assert t_meta.xtype == "timestamp"


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT eso_intersection(s_ra, s_region) FROM ivoa.obscore", "needs regions"),
    ("SELECT eso_intersection(s_region) FROM ivoa.obscore", "wrong number of arguments"),
    ("SELECT eso_substring(obs_id, 1, 2) FROM ivoa.obscore", "unknown function"),
])
def test_other_uses_are_refused(query, message) -> None:
    with pytest.raises(ADQLError, match=message):
        adql.translate(query, published_tables())
