"""RESPONSEFORMAT values select writers case-insensitively; unknown ones are refused."""

import pytest

from soxsvo.formats import FORMATS, UnknownFormatError, resolve_format, write


@pytest.mark.parametrize(("value", "name"), [
    ("application/x-votable+xml", "VOTable BINARY2"),
    ("votable", "VOTable BINARY2"),
    ("VOTable/B2", "VOTable BINARY2"),
    (None, "VOTable BINARY2"),
    ("application/x-votable+xml;serialization=BINARY2", "VOTable BINARY2"),
    ("application/x-votable+xml; serialization=binary", "VOTable BINARY"),
    ("votable/b", "VOTable BINARY"),
    ("application/x-votable+xml;serialization=TABLEDATA", "VOTable TABLEDATA"),
    ("votable/td", "VOTable TABLEDATA"),
    ("text/csv", "CSV"), ("CSV", "CSV"), ("text/csv;header=present", "CSV"),
    ("text/tab-separated-values", "TSV"), ("tsv", "TSV"),
    ("application/fits", "FITS binary table"), ("fits", "FITS binary table"),
    ("application/json", "JSON"), ("json", "JSON"),
    ("application/vnd.apache.parquet", "Parquet"), ("parquet", "Parquet"),
])
def test_accepted_values(value, name):
    assert resolve_format(value).name == name


def test_unknown_value_lists_accepted_ones():
    with pytest.raises(UnknownFormatError) as info:
        resolve_format("application/pdf")
    assert "application/pdf" in str(info.value)
    assert "votable/td" in str(info.value) and "text/csv" in str(info.value)
    with pytest.raises(UnknownFormatError):
        write("xls", [], [])  # refused before any iteration


def test_every_writer_lists_its_mime_type_and_aliases():
    for key, writer in FORMATS.items():
        assert key == key.lower()
        assert writer.mime_type in writer.accepted_values
        assert writer.file_extension
