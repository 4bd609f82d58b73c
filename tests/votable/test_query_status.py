"""QUERY_STATUS placement: OK before the TABLE, OVERFLOW after it, learnt after the rows."""

import io
import xml.etree.ElementTree as ET

from astropy.io import votable
from conftest import COLUMNS, ROWS

from soxsvo.formats import QueryStatus, write

NS = "{http://www.ivoa.net/xml/VOTable/v1.3}"


def _resource_children(data: bytes):
    root = ET.fromstring(data)
    resource = root.find(f"{NS}RESOURCE")
    assert resource.get("type") == "results"
    return [(child.tag.removeprefix(NS), child.get("name"), child.get("value"))
            for child in resource]


def test_overflow_info_follows_the_table():
    children = _resource_children(b"".join(write("votable", COLUMNS, [ROWS], overflow=True)))
    assert children[0] == ("INFO", "QUERY_STATUS", "OK")
    assert [c[0] for c in children].index("TABLE") < children.index(
        ("INFO", "QUERY_STATUS", "OVERFLOW"))
    assert children[-1] == ("INFO", "QUERY_STATUS", "OVERFLOW")


def test_no_overflow_info_without_overflow():
    children = _resource_children(b"".join(write("votable/td", COLUMNS, [ROWS])))
    assert ("INFO", "QUERY_STATUS", "OVERFLOW") not in children


def test_status_set_while_streaming_is_honoured():
    status = QueryStatus()

    def batches():
        yield ROWS
        status.overflow = True  # the runner learns MAXREC was hit only at the end

    data = b"".join(write("votable", COLUMNS, batches(), overflow=status))
    assert _resource_children(data)[-1] == ("INFO", "QUERY_STATUS", "OVERFLOW")
    # pyvo/astropy see the trailing INFO
    vot = votable.parse(io.BytesIO(data))
    assert [i.value for i in vot.resources[0].infos if i.name == "QUERY_STATUS"] == [
        "OK", "OVERFLOW"]


def test_json_reports_status_last():
    import json

    doc = json.loads(b"".join(write("json", COLUMNS, [ROWS], overflow=lambda: True)))
    assert doc["queryStatus"] == "OVERFLOW"
