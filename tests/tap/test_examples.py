"""DALI examples: every example is in the document and runs as written on the demo archive."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from astropy.io import votable

from soxsvo.tap.examples import EXAMPLES

XHTML = "{http://www.w3.org/1999/xhtml}"


def test_document_carries_every_example_as_rdfa(client) -> None:
    answer = client.get("/tap/examples")
    assert answer.status_code == 200
    root = ElementTree.fromstring(answer.data)
    found = [div for div in root.iter(f"{XHTML}div") if div.get("typeof") == "example"]
    assert len(found) == len(EXAMPLES) >= 10
    queries = [e.text for div in found for e in div.iter() if e.get("property") == "query"]
    assert queries == [ex.query for ex in EXAMPLES]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda ex: ex.slug)
def test_every_example_runs(client, example) -> None:
    data = {"LANG": "ADQL", "QUERY": example.query}
    if "TAP_UPLOAD.mine" in example.query:
        data["UPLOAD"] = "mine,param:mine"
        data["mine"] = (io.BytesIO(b"ra,dec\n53.0,-28.0\n"), "mine.csv")
    answer = client.post("/tap/sync", data=data)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    doc = votable.parse(io.BytesIO(answer.data), verify="ignore")
    assert doc.resources[0].infos[0].value == "OK"
