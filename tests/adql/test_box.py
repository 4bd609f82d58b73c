"""BOX is the ADQL 2.1 box (arms along great circles, great-circle sides), exactly, at any
latitude; where it is not defined (centred on a pole, sizes of 180 degrees or more) it is
refused with a message, never answered with a different shape."""

from __future__ import annotations

import numpy as np
import pytest

from soxsvo.adql import ADQLValidationError, translate
from soxsvo.adql.translate.geometry import box_vertices
from soxsvo.db.migrations import apply_repeatable
from tests.adql.test_execution import PTS, make_points, vec

BOXES = [(10, 20, 2, 4), (0, 0, 10, 10), (200, -45, 30, 8), (45, 80, 20, 10),
         (300, -85, 40, 6), (359.5, 88, 3, 2.5), (120, 55, 170, 60)]


def _inside(ra, dec, box) -> np.ndarray:
    """Independent oracle: rotate the points so that the centre is at (0, 0), then the box is
    |lon| <= a and |tan lat| <= tan(b) cos(lon) (sides: meridians +-a and the great circles
    through (0, +-b) perpendicular to the prime meridian)."""
    lon0, lat0, width, height = np.radians(box)
    p = vec(ra, dec)
    rz = np.array([[np.cos(-lon0), -np.sin(-lon0), 0], [np.sin(-lon0), np.cos(-lon0), 0],
                   [0, 0, 1]])
    ry = np.array([[np.cos(lat0), 0, np.sin(lat0)], [0, 1, 0],
                   [-np.sin(lat0), 0, np.cos(lat0)]])
    x, y, z = (ry @ rz @ p.T)
    lon, lat = np.arctan2(y, x), np.arcsin(np.clip(z, -1, 1))
    return (np.abs(lon) <= width / 2) & (np.abs(np.tan(lat)) <= np.tan(height / 2) * np.cos(lon))


@pytest.fixture
def points(db_conn):
    apply_repeatable(db_conn)
    ra, dec = make_points(np.random.default_rng(3), 5000)
    db_conn.execute("CREATE TEMP TABLE pts(id int, ra double precision, dec double precision, "
                    "name text)")
    with db_conn.cursor().copy("COPY pts (id, ra, dec) FROM STDIN") as copy:
        for i, (r, d) in enumerate(zip(ra, dec, strict=True)):
            copy.write_row((i, float(r), float(d)))
    db_conn.execute("CREATE INDEX ON pts (q3c_ang2ipix(ra, dec))")
    db_conn.ra, db_conn.dec = ra, dec
    return db_conn


@pytest.mark.parametrize("box", BOXES, ids=str)
def test_box_contains_what_the_adql_definition_contains(points, box) -> None:
    # Points within 1e-7 deg of a side may fall either way; there are none in practice.
    wanted = set(np.flatnonzero(_inside(points.ra, points.dec, box)).tolist())
    for form in ("BOX({}, {}, {}, {})".format(*box),
                 "BOX(pts.ra * 0 + {}, {}, {}, {})".format(*box)):  # numbers / SQL
        t = translate(f"SELECT id FROM pg_temp.pts WHERE CONTAINS(POINT(ra, dec), {form}) = 1",
                      [PTS])
        got = {r[0] for r in points.execute(t.sql, t.params)}
        assert got == wanted, form
    assert wanted


def test_sql_and_translator_vertices_agree(points) -> None:
    for box in BOXES:
        sql = points.execute("SELECT soxs_adql.box(%s, %s, %s, %s)", box).fetchone()[0]
        assert sql == pytest.approx(box_vertices(*box), abs=1e-9)


@pytest.mark.parametrize(("box", "message"), [
    ("BOX(10, 90, 2, 2)", "pole"), ("BOX(10, -90, 2, 2)", "pole"),
    ("BOX(10, 20, 180, 2)", "width"), ("BOX(10, 20, 2, 0)", "height"),
])
def test_undefined_boxes_are_refused(box, message) -> None:
    with pytest.raises(ADQLValidationError, match=message):
        translate(f"SELECT id FROM pg_temp.pts WHERE CONTAINS(POINT(ra, dec), {box}) = 1",
                  [PTS])


def test_undefined_boxes_of_columns_are_refused_by_the_database(points) -> None:
    import psycopg

    t = translate("SELECT id FROM pg_temp.pts WHERE "
                  "CONTAINS(POINT(ra, dec), BOX(ra, 90 + dec * 0, 1, 1)) = 1", [PTS])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="pole"):
        points.execute(t.sql, t.params).fetchall()
