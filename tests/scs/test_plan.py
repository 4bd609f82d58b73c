"""The cone search reaches the q3c index through TAP's translated column list: on 20,000
ObsCore rows, under row-level security, a cone is an index scan, never a sequential one."""

from __future__ import annotations

from soxsvo.access import reading
from soxsvo.scs.params import Cone
from soxsvo.scs.query import prepare_cone
from soxsvo.scs.tables import cone_table
from tests.vo_archive import add_images


def test_cone_on_obscore_uses_the_q3c_index(db_conn):
    add_images(db_conn, 20000)
    for verb in (1, 2, 3):
        prepared = prepare_cone(cone_table("ivoa.obscore"), Cone(120.0, 10.0, 0.05, verb), 100)
        with reading(db_conn) as reader:
            plan = "\n".join(row[0] for row in reader.execute(
                "EXPLAIN " + prepared.sql, prepared.params).fetchall())
        assert "obscore_q3c" in plan and "Seq Scan on obscore" not in plan, (verb, plan)
