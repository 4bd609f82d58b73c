"""Errors: positions, suggestions, and refusal of anything that is not ADQL."""

import pytest

from soxsvo.adql import ADQLError, ADQLNameError, ADQLSyntaxError, parse, translate
from soxsvo.cli.adql import explain_main

from .helpers import SCHEMA


def test_unknown_column_position_and_suggestion():
    """An unknown column names itself, its line/column and close names."""
    with pytest.raises(ADQLNameError) as info:
        translate("SELECT id,\n  raa FROM test.pts", SCHEMA)
    err = info.value
    assert "raa" in str(err) and (err.line, err.column) == (2, 3) and "ra" in err.suggestions


def test_unknown_table_suggestion():
    """An unknown table suggests the closest qualified names."""
    with pytest.raises(ADQLNameError) as info:
        translate("SELECT * FROM test.ptss", SCHEMA)
    assert "test.pts" in info.value.suggestions


def test_syntax_error_says_what_was_expected():
    """Syntax errors name the expected token and the position."""
    with pytest.raises(ADQLSyntaxError) as info:
        parse("SELECT a FROM t WHERE")
    assert "expected a condition" in str(info.value) and info.value.line == 1


@pytest.mark.parametrize("adql", [
    "SELECT pg_sleep(10) FROM test.pts",
    "SELECT version() FROM test.pts",
    "SELECT * FROM pg_catalog.pg_class",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM test.pts; DROP TABLE test.pts",
    "DROP TABLE test.pts",
    "DELETE FROM test.pts",
    "INSERT INTO test.pts VALUES (1)",
    "SELECT * FROM test.pts WHERE ra = 1 /* */",
    "SELECT ivo_not_there(1) FROM test.pts",
    "SELECT * FROM test.pts WHERE name = E'\\x41'",
])
def test_refused(adql):
    """PostgreSQL functions, catalogues, DDL/DML and extra statements are refused."""
    with pytest.raises(ADQLError):
        translate(adql, SCHEMA)


@pytest.mark.parametrize("text", ["", "   ", "\x00", "(" * 1_000_000, "SELECT " + "(" * 5000,
                                  "SELECT 1" + "+1" * 100_000 + " FROM t", "\udcff", "ÄÖÜ"])
def test_hostile_input(text):
    """Empty, binary, huge or deeply nested input gives an ADQLError, never a crash."""
    with pytest.raises(ADQLError):
        translate(text, SCHEMA)


def test_cli_caret():
    """The CLI helper shows the SQL, or the error with a caret under its column."""
    text, code = explain_main("SELECT nope FROM test.pts", SCHEMA)
    assert code == 1 and text.endswith("SELECT nope FROM test.pts\n       ^")
    text, code = explain_main("SELECT ra FROM test.pts", SCHEMA)
    assert code == 0 and '"pts"."ra"' in text
