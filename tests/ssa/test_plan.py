"""Under row-level security, SSA's cone and target-name conditions can still use their indexes
(q3c functions declared LEAKPROOF, exact name equality: sql/031)."""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.access import begin_as_reader
from soxsvo.ssa.params import SpectrumQuery
from soxsvo.ssa.query import build_sql


@pytest.mark.parametrize(("query", "index"), [
    (SpectrumQuery(formats=("fits",), ra=10.0, dec=-20.0, radius=0.25), "obscore_q3c"),
    (SpectrumQuery(formats=("fits",), target_names=("AT 2025abc",)), "obscore_target_name"),
])
def test_reader_queries_can_use_the_indexes(demo_archive, query, index):
    with psycopg.connect(demo_archive.database_url) as conn:
        begin_as_reader(conn, 30)
        # With sequential scans priced out, the planner takes the index whenever it may.
        conn.execute("SET LOCAL enable_seqscan = off")
        text, params = build_sql(query)
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + text, params))
        conn.rollback()
    assert index in plan, plan
