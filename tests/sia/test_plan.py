"""The SIA region test reaches the q3c index: with 20,000 images a cone must not become a
sequential scan running the exact footprint test on every row (it timed out at 60 s on
100,000 images before the pre-filter of soxsvo.sia.query)."""

from __future__ import annotations

from soxsvo.access import reading
from soxsvo.dali.params import DALIParams
from soxsvo.sia.params import parse_query
from soxsvo.sia.query import largest_fov, prepare_images

IMAGES_SQL = """
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, sha256,
                          md5, file_size)
SELECT 'ivo://test/soxs?IMG.' || i, 'IMG.' || i, 'SCIENCE.IMAGE', 'img.fits', 'img.fits',
       md5('c' || i) || md5('d' || i), md5('c' || i), 1000
FROM generate_series(1, 20000) AS i;
INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, obs_release_date, data_rights, access_url, access_format,
    access_estsize, s_ra, s_dec, s_fov, s_region, dp_id, facility_name, instrument_name,
    prodcatg)
SELECT 'image', 2, 'SOXS', 'IMG.' || i, 'ivo://test/soxs?IMG.' || i, '2024-01-01', 'public',
       'http://test/IMG.' || i, 'application/fits', 1, ra, dec, 0.09,
       ARRAY[ra - 0.03, dec - 0.03, ra + 0.03, dec - 0.03, ra + 0.03, dec + 0.03, ra - 0.03,
             dec + 0.03], 'IMG.' || i, 'ESO-NTT', 'SOXS', 'SCIENCE.IMAGE'
FROM (SELECT i, 1 + mod(i * 7919, 35800) / 100.0 AS ra, -80 + mod(i * 104729, 16000) / 100.0
      AS dec FROM generate_series(1, 20000) AS i) AS positions
"""


def _plan(conn, pos: str) -> str:
    query = parse_query(DALIParams([("POS", pos)]), 1000, 100000)
    with reading(conn) as reader:
        prepared = prepare_images(query, largest_fov(reader))
        rows = reader.execute("EXPLAIN " + prepared.sql, prepared.params).fetchall()
    return "\n".join(row[0] for row in rows)


def test_circle_polygon_and_range_use_the_q3c_index(db_conn):
    for statement in IMAGES_SQL.split(";\n"):
        db_conn.execute(statement)
    db_conn.execute("ANALYZE ivoa.obscore")
    db_conn.commit()
    for pos in ("CIRCLE 120 10 0.05", "POLYGON 120 10 120.1 10 120.1 10.1",
                "RANGE 120 120.2 10 10.2"):
        plan = _plan(db_conn, pos)
        assert "obscore_q3c" in plan, (pos, plan)
        assert "Seq Scan on obscore" not in plan, (pos, plan)
