"""Under row-level security a reader's condition can be an index condition only when its
functions are LEAKPROOF: migrating as a superuser declares q3c's so (soxsvo/db/sql/031). Whether the
planner then takes the q3c index depends on the table's size and statistics; the effect on
100,000 spectra (690 ms -> 0.2 ms per cone) is measured in docs/performance-history.md."""

from __future__ import annotations


def test_q3c_functions_are_leakproof(db_conn):
    rows = dict(db_conn.execute("SELECT proname, proleakproof FROM pg_proc WHERE proname IN "
                                "('q3c_ang2ipix', 'q3c_sindist') AND pronargs IN (2, 4) "
                                "AND proargtypes[0] = 'float8'::regtype").fetchall())
    assert rows == {"q3c_ang2ipix": True, "q3c_sindist": True}
