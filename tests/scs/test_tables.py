"""Which published tables get a cone search, and their main columns."""

from __future__ import annotations

from soxsvo.scs.tables import cone_tables


def test_tables_with_a_main_position_have_a_cone_search():
    tables = {t.name: t for t in cone_tables()}
    assert {"ivoa.obscore", "marshall.transient", "dbo.raw"} <= set(tables)
    assert "marshall.photometry" not in tables  # no position
    obscore = tables["ivoa.obscore"]
    assert (obscore.id_column.name, obscore.ra_column.name, obscore.dec_column.name) == (
        "obs_publisher_did", "s_ra", "s_dec")
    transient = tables["marshall.transient"]
    assert (transient.id_column.name, transient.ra_column.name) == ("transient_id", "ra")
    assert tables["dbo.raw"].id_column.name == "dp_id"
