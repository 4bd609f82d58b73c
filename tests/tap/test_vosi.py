"""VOSI capabilities, availability and tables: generated from the single metadata source."""

from __future__ import annotations

from xml.etree import ElementTree

from soxsvo.db.metadata import published_tables

NS = {"vosi": "http://www.ivoa.net/xml/VOSICapabilities/v1.0",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def test_capabilities_declare_tap_formats_features_and_limits(client) -> None:
    root = ElementTree.fromstring(client.get("/tap/capabilities").data)
    ids = [c.get("standardID") for c in root.findall("capability")]
    assert "ivo://ivoa.net/std/TAP" in ids
    assert "ivo://ivoa.net/std/VOSI#tables-1.1" in ids
    tap = root.find("capability[@standardID='ivo://ivoa.net/std/TAP']")
    mimes = [m.text for m in tap.findall("outputFormat/mime")]
    assert any(m.startswith("text/csv") for m in mimes) and "application/fits" in mimes
    features = {f.get("type") for f in tap.findall("language/languageFeatures")}
    assert "ivo://ivoa.net/std/TAPRegExt#features-adqlgeo" in features
    assert "ivo://ivoa.net/std/TAPRegExt#features-udf" in features
    assert tap.find("outputLimit/hard").text == "10000000"


def test_tables_lists_every_published_table_with_columns(client) -> None:
    root = ElementTree.fromstring(client.get("/tap/tables").data)
    names = {t.findtext("name") for t in root.iter("table")}
    assert names == {t.qualified_name for t in published_tables()}
    obscore = next(t for t in root.iter("table") if t.findtext("name") == "ivoa.obscore")
    s_ra = next(c for c in obscore.iter("column") if c.findtext("name") == "s_ra")
    assert (s_ra.findtext("unit"), s_ra.findtext("ucd")) == ("deg", "pos.eq.ra")


def test_single_table_and_unknown_table(client) -> None:
    assert client.get("/tap/tables/marshall.transient").status_code == 200
    assert client.get("/tap/tables/no.such").status_code == 404


def test_availability_is_true_with_a_database(client) -> None:
    text = client.get("/tap/availability").get_data(as_text=True)
    assert "<vosi:available>true</vosi:available>" in text
