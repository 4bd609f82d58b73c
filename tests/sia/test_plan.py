"""The SIA region test reaches the q3c index: with 20,000 images a cone must not become a
sequential scan running the exact footprint test on every row (it timed out at 60 s on
100,000 images before the pre-filter of soxsvo.sia.query)."""

from __future__ import annotations

from soxsvo.access import reading
from soxsvo.dali.params import DALIParams
from soxsvo.sia.params import parse_query
from soxsvo.sia.query import largest_fov, prepare_images
from tests.vo_archive import add_images


def _plan(conn, pos: str) -> str:
    query = parse_query(DALIParams([("POS", pos)]), 1000, 100000)
    with reading(conn) as reader:
        prepared = prepare_images(query, largest_fov(reader))
        rows = reader.execute("EXPLAIN " + prepared.sql, prepared.params).fetchall()
    return "\n".join(row[0] for row in rows)


def test_circle_polygon_and_range_use_the_q3c_index(db_conn):
    add_images(db_conn, 20000)
    for pos in ("CIRCLE 120 10 0.05", "POLYGON 120 10 120.1 10 120.1 10.1",
                "RANGE 120 120.2 10 10.2"):
        plan = _plan(db_conn, pos)
        assert "obscore_q3c" in plan, (pos, plan)
        assert "Seq Scan on obscore" not in plan, (pos, plan)
