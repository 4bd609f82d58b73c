"""Translated queries run on PostgreSQL+q3c and return exactly the brute-force rows.

Uses the project's ``db_conn`` fixture (a fresh database with q3c); each test creates
its own temporary tables and compares with a numpy computation on the unit sphere.
"""

import numpy as np
import pytest

from soxsvo.adql import translate
from soxsvo.db.metadata import ColumnMeta, TableMeta
from soxsvo.db.migrations import apply_repeatable

PTS = TableMeta("pg_temp", "pts", "points", (
    ColumnMeta("id", "int"), ColumnMeta("ra", "double", unit="deg"),
    ColumnMeta("dec", "double", unit="deg"), ColumnMeta("name", "char", arraysize="*")))
REG = TableMeta("pg_temp", "reg", "footprints", (
    ColumnMeta("id", "int"), ColumnMeta("s_ra", "double"), ColumnMeta("s_dec", "double"),
    ColumnMeta("s_fov", "double"), ColumnMeta("s_region", "double", "*", "polygon")))


def vec(ra, dec):
    """Unit vectors of (ra, dec) in degrees."""
    ra, dec = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)


def sep(ra1, dec1, ra2, dec2):
    """Angular separation in degrees (atan2 form)."""
    a, b = vec(ra1, dec1), vec(ra2, dec2)
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))


def in_convex(ra, dec, poly):
    """Point in a convex spherical polygon: same side of every edge's great circle."""
    v = vec(np.array(poly[0::2]), np.array(poly[1::2]))
    normals = [np.cross(v[i - 1], v[i]) for i in range(len(v))]
    orientation = np.sign(v.sum(0) @ normals[0])  # the centroid is inside
    p = vec(ra, dec)
    return np.all(np.stack([orientation * (p @ nrm) > 0 for nrm in normals], -1), -1)


def make_points(rng, n=3000):
    """Random points plus adversarial ones: poles, RA 0/360, exact duplicates."""
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    extra_ra = [0, 359.9999999, 0.0000001, 180, 90, 0, 45, 359.5, 0.5, 10, 10.0000001]
    extra_dec = [90, 0, 0, -90, 89.9999, -89.9999, 90, 0, 0, 20, 20]
    # dense clusters near RA 0 and the north pole
    ra = np.concatenate([ra, extra_ra, rng.uniform(-1, 1, 300) % 360, rng.uniform(0, 360, 200)])
    dec = np.concatenate([dec, extra_dec, rng.uniform(-1, 1, 300), rng.uniform(88, 90, 200)])
    return ra, dec


@pytest.fixture
def conn(db_conn):
    """``db_conn`` with the soxs_adql functions and a filled temporary point table."""
    apply_repeatable(db_conn)
    ra, dec = make_points(np.random.default_rng(42))
    db_conn.execute("CREATE TEMP TABLE pts(id int, ra double precision, dec double precision, "
                    "name text)")
    with db_conn.cursor().copy("COPY pts (id, ra, dec, name) FROM STDIN") as copy:
        for i, (r, d) in enumerate(zip(ra, dec, strict=True)):
            copy.write_row((i, float(r), float(d), f"star {i}"))
    db_conn.execute("CREATE INDEX ON pts (q3c_ang2ipix(ra, dec))")
    db_conn.execute("ANALYZE pts")
    db_conn.ra, db_conn.dec = ra, dec
    return db_conn


def ids(conn, adql, tables=(PTS,)):
    """Run ``adql`` through the translator; return the set of ids."""
    t = translate(adql, tables)
    return {row[0] for row in conn.execute(t.sql, t.params)}


@pytest.mark.parametrize("ra0,dec0,r", [
    (10, 20, 1), (0, 0, 2), (359.9, 0, 0.5), (0, 90, 3), (180, -90, 5),
    (45, 30, 1e-4), (10, 20, 0.0000001), (123, -45, 60), (200, 10, 179.9), (0, 0, 180),
])
def test_cone_matches_brute_force(conn, ra0, dec0, r):
    """CONTAINS(POINT, CIRCLE) = 1 returns exactly the points within the radius."""
    got = ids(conn, f"SELECT id FROM pg_temp.pts WHERE "
                    f"CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra0}, {dec0}, {r})) = 1")
    d = sep(conn.ra, conn.dec, ra0, dec0)
    want = set(np.nonzero(d <= r)[0].tolist())
    # Points within 1e-9 deg of the rim may fall either way (rounding); ignore them.
    rim = set(np.nonzero(np.abs(d - r) < 1e-9)[0].tolist())
    assert got - rim == want - rim


@pytest.mark.parametrize("poly", [
    (10, 10, 12, 10, 12, 12, 10, 12),
    (359, -1, 1, -1, 1, 1, 359, 1),            # crosses RA 0
    (0, 80, 90, 80, 180, 80, 270, 80),          # around the north pole
    (100, -30, 140, -35, 130, -10),
    (20, 20, 20.001, 20, 20.001, 20.001),       # tiny
    (10, 60, 100, 60, 100, 80, 10, 80),         # large, q3c would miss points
    (0, -4, 7, -4, 7, 3, 0, 3),                 # just under the q3c size limit
    (0, -30, 60, -30, 60, 30, 0, 30),           # larger than q3c accepts
])
def test_polygon_matches_brute_force(conn, poly):
    """CONTAINS(POINT, POLYGON) = 1 returns exactly the points inside (convex cases)."""
    coords = ", ".join(str(c) for c in poly)
    got = ids(conn, f"SELECT id FROM pg_temp.pts WHERE "
                    f"1 = CONTAINS(POINT(ra, dec), POLYGON({coords}))")
    want = set(np.nonzero(in_convex(conn.ra, conn.dec, poly))[0].tolist())
    assert got == want


def test_negated_cone(conn):
    """``= 0`` returns the complement."""
    total = ids(conn, "SELECT id FROM pg_temp.pts")
    inside = ids(conn, "SELECT id FROM pg_temp.pts WHERE "
                       "CONTAINS(POINT(ra, dec), CIRCLE(30, 30, 10)) = 1")
    outside = ids(conn, "SELECT id FROM pg_temp.pts WHERE "
                        "CONTAINS(POINT(ra, dec), CIRCLE(30, 30, 10)) = 0")
    assert inside | outside == total and not inside & outside


def test_crossmatch_matches_brute_force(conn):
    """DISTANCE(...) < r in a self-join (q3c_join) finds exactly the close pairs."""
    t = translate("SELECT a.id, b.id FROM pg_temp.pts AS a JOIN pg_temp.pts AS b "
                  "ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < 0.05 "
                  "WHERE a.id < b.id", [PTS])
    got = set(conn.execute(t.sql, t.params).fetchall())
    ra, dec = conn.ra, conn.dec
    d = sep(ra[:, None], dec[:, None], ra[None, :], dec[None, :])
    i, j = np.nonzero(np.triu(d < 0.05, 1))
    assert got == set(zip(i.tolist(), j.tolist(), strict=True))


def test_region_predicates(conn):
    """INTERSECTS/CONTAINS on a polygon column agree with numpy on random footprints."""
    rng = np.random.default_rng(7)
    conn.execute("CREATE TEMP TABLE reg(id int, s_ra double precision, s_dec double precision,"
                 " s_fov double precision, s_region double precision[])")
    rows = []
    for i in range(300):
        ra0, dec0 = rng.uniform(0, 360), rng.uniform(-85, 85)
        h = rng.uniform(0.05, 3)
        poly = [ra0 - h, dec0 - h, ra0 + h, dec0 - h, ra0 + h, dec0 + h, ra0 - h, dec0 + h]
        poly = [c % 360 if k % 2 == 0 else c for k, c in enumerate(poly)]
        fov = 2 * sep(np.array(poly[0::2]), np.array(poly[1::2]), ra0, dec0).max()
        rows.append((i, ra0, dec0, float(fov), poly))
    with conn.cursor().copy("COPY reg FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    for cra, cdec, r in [(10, 10, 5), (0, 0, 20), (200, -40, 30), (90, 80, 15)]:
        got = ids(conn, f"SELECT id FROM pg_temp.reg WHERE "
                        f"INTERSECTS(s_region, CIRCLE({cra}, {cdec}, {r})) = 1", (REG,))
        inside = ids(conn, f"SELECT id FROM pg_temp.reg WHERE "
                           f"CONTAINS(s_region, CIRCLE({cra}, {cdec}, {r})) = 1", (REG,))
        want_in, want_any = set(), set()
        for i, _, _, _, poly in rows:
            d = sep(np.array(poly[0::2]), np.array(poly[1::2]), cra, cdec)
            if np.all(d <= r):
                want_in.add(i)
            # dense boundary sampling: conservative "any" for the brute force
            lon = np.concatenate([np.linspace(poly[k], poly[k] + ((poly[(k + 2) % 8] - poly[k]
                                  + 180) % 360 - 180), 200) for k in range(0, 8, 2)])
            lat = np.concatenate([np.linspace(poly[k + 1], poly[(k + 3) % 8], 200)
                                  for k in range(0, 8, 2)])
            if (sep(lon, lat, cra, cdec) <= r).any() or in_convex(cra, cdec, poly):
                want_any.add(i)
        assert inside == want_in
        # Great-circle edges bulge slightly from the sampled lon/lat lines: allow the
        # differing footprints only when they graze the circle.
        for i in got ^ want_any:
            poly = rows[i][4]
            d = sep(np.array(poly[0::2]), np.array(poly[1::2]), cra, cdec)
            assert abs(d.min() - r) < 0.2 or in_convex(cra, cdec, poly)


def test_values_and_udfs(conn):
    """Scalar geometry, strings, UDFs and types come back as declared."""
    t = translate(
        "SELECT TOP 1 POINT(10, 20) AS p, CIRCLE(10, 20, 1) AS c, "
        "AREA(CIRCLE(0, 0, 1)) AS a, DISTANCE(POINT(0, 0), POINT(0, 1)) AS d, "
        "'x' || name AS s, ivo_healpix_index(0, 45, 45) AS h, "
        "ivo_interval_overlaps(1, 2, 2, 3) AS o, ivo_nocasematch(name, 'STAR%') AS m, "
        "IN_UNIT(ra, 'rad') AS r, COORD1(ivo_healpix_center(0, 0)) AS c1 "
        "FROM pg_temp.pts WHERE id = 1", [PTS])
    row = conn.execute(t.sql, t.params).fetchone()
    assert row[0] == [10, 20] and row[1] == [10, 20, 1]
    assert abs(row[2] - 3.14155) < 1e-3 and abs(row[3] - 1) < 1e-12
    assert row[4] == "xstar 1" and row[5] == 0 and row[6] == 1 and row[7] == 1
    assert abs(row[8] - np.radians(conn.ra[1])) < 1e-12 and abs(row[9] - 45) < 1e-9


def test_obscore_queries_run(conn):
    """The X1-style ObsCore queries translate to SQL PostgreSQL accepts."""
    from soxsvo.db.metadata import published_tables

    for adql in [
        "SELECT count(*), dataproduct_type FROM ivoa.obscore WHERE "
        "intersects(s_region, circle('', 191.288, -0.459, 0.2))=1 GROUP BY dataproduct_type "
        "ORDER BY 1",
        "SELECT TOP 5 *, distance(s_region, point('', 1, 2)) AS d FROM ivoa.ObsCore "
        "WHERE CONTAINS(POINT('ICRS', 123.2, -34.5), s_region) = 1 ORDER BY d",
        "SELECT a.obs_id FROM ivoa.obscore AS a, ivoa.obscore AS b "
        "WHERE INTERSECTS(a.s_region, b.s_region) = 1 AND a.obs_id <> b.obs_id",
        "SELECT obs_collection FROM ivoa.obscore UNION SELECT 'x' FROM ivoa.obscore "
        "ORDER BY obs_collection OFFSET 1",
    ]:
        t = translate(adql, published_tables())
        conn.execute(t.sql, t.params).fetchall()


@pytest.mark.parametrize(("call", "expected"), [
    ("TRUNCATE(x, 1)", 23.2), ("TRUNCATE(-x, 1)", -23.2), ("ROUND(x, 3)", 23.3),
    ("TRUNCATE(x, 4)", 23.2999),
])
def test_rounding_a_real_column_uses_its_double_value(conn, call, expected):
    # 23.29999 as float4 is 23.2999904...: cast to numeric directly (6 digits) it is 23.3.
    conn.execute("CREATE TEMP TABLE reals(x real)")
    conn.execute("INSERT INTO reals VALUES (23.29999)")
    table = TableMeta("pg_temp", "reals", "reals", (ColumnMeta("x", "float"),))
    t = translate(f"SELECT {call} AS v FROM pg_temp.reals", [table])
    assert conn.execute(t.sql, t.params).fetchone()[0] == pytest.approx(expected, abs=1e-9)
