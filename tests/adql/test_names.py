"""Name resolution: case rules, qualification, aliases and result names."""

import pytest

from soxsvo.adql import ADQLValidationError, translate

from .helpers import SCHEMA


def test_regular_identifiers_fold_case():
    """Regular identifiers match case-insensitively; SQL uses the metadata spelling."""
    t = translate("SELECT RA, Test.PTS.dec FROM TEST.Pts", SCHEMA)
    assert '"pts"."ra" AS "ra"' in t.sql and '"pts"."dec"' in t.sql
    assert [c.name for c in t.columns] == ["ra", "dec"]


def test_delimited_identifiers_are_exact():
    """Delimited identifiers match exactly (a wrong case is an unknown column)."""
    t = translate('SELECT "plAin" FROM test."Mixed"', SCHEMA)
    assert '"Mixed"."plAin"' in t.sql
    with pytest.raises(ADQLValidationError):
        translate('SELECT "plain" FROM test."Mixed"', SCHEMA)


def test_metadata_carried_over():
    """A plain column keeps unit, UCD and description; aliases rename it."""
    t = translate("SELECT ra AS alpha FROM test.pts", SCHEMA)
    assert t.columns[0].name == "alpha" and t.columns[0].ucd == "pos.eq.ra;meta.main"


def test_star_expansion_and_unique_names():
    """``*`` expands from metadata; duplicate names get suffixes."""
    t = translate("SELECT * FROM test.pts AS a, test.other AS b", SCHEMA)
    names = [c.name for c in t.columns]
    assert names[:4] == ["id", "ra", "dec", "name"] and "id_2" in names


def test_using_column_once():
    """A USING column appears once in ``*`` and is not ambiguous."""
    t = translate("SELECT * FROM test.pts JOIN test.other USING (id)", SCHEMA)
    assert [c.name for c in t.columns].count("id") == 1
    translate("SELECT id FROM test.pts JOIN test.other USING (id)", SCHEMA)


def test_ambiguous_column():
    """An unqualified name present in two tables is an error."""
    with pytest.raises(ADQLValidationError, match="ambiguous"):
        translate("SELECT ra FROM test.pts, test.other", SCHEMA)


def test_aggregate_types():
    """COUNT is long, AVG double; ORDER BY accepts aliases and positions."""
    t = translate("SELECT COUNT(*) AS n, AVG(ra) FROM test.pts GROUP BY name ORDER BY n, 2",
                  SCHEMA)
    assert [c.datatype for c in t.columns] == ["long", "double"]
    assert 'ORDER BY "n", "avg"' in t.sql


def test_subquery_and_cte():
    """Derived tables and CTEs expose their result columns."""
    t = translate("WITH b AS (SELECT id, ra AS x FROM test.pts) "
                  "SELECT q.x FROM (SELECT x FROM b) AS q", SCHEMA)
    assert t.columns[0].name == "x" and t.columns[0].unit == "deg"


def test_upload_tables_default_and_hook():
    """Upload tables map to "tap_upload"."x" unless a table_sql hook is given."""
    from soxsvo.db.metadata import ColumnMeta, TableMeta

    up = TableMeta("tap_upload", "mine", "upload", (ColumnMeta("ra", "double"),))
    assert '"tap_upload"."mine"' in translate("SELECT ra FROM TAP_UPLOAD.mine", [up]).sql
    hooked = translate("SELECT ra FROM tap_upload.mine", [up], table_sql=lambda t: "pg_temp.u1")
    assert "FROM pg_temp.u1 AS" in hooked.sql


def test_string_literals_are_parameters():
    """Strings are bound parameters; '%' in identifiers is doubled for psycopg."""
    from soxsvo.db.metadata import ColumnMeta, TableMeta

    t = translate("SELECT name FROM test.pts WHERE name LIKE '100%'", SCHEMA)
    assert "%(p0)s" in t.sql and t.params == {"p0": "100%"}
    odd = TableMeta("s", "t", "", (ColumnMeta("a%b", "int"),))
    assert '"a%%b"' in translate('SELECT "a%b" FROM s.t', [odd]).sql
