"""STILTS votlint finds nothing wrong in any VOTable this package writes."""

import pytest
from conftest import COLUMNS, ROWS

from soxsvo.formats import Info, QueryStatus, error_document, query_infos, write
from tests.support import votlint

# STILTS 3.4 votlint misreads BINARY/BINARY2 streams with xtype="polygon"
# ("Apparent negative element count"); it does so on STILTS's own tpipe output
# too, so polygons are checked in TABLEDATA only.  There, its polygon check also
# rejects the empty cell of a null polygon (VOTable 1.4 says an empty cell is
# null for every datatype; astropy agrees), so that cell gets a triangle here.
TRIANGLE = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
NO_POLYGON = [c for c in COLUMNS if c.xtype != "polygon"]


@pytest.mark.parametrize("fmt", ["votable/b2", "votable/b", "votable/td"])
def test_result_documents_are_clean(tmp_path, fmt):
    columns = COLUMNS if fmt == "votable/td" else NO_POLYGON
    keep = [COLUMNS.index(c) for c in columns]
    rows = [tuple(r[k] for k in keep) for r in ROWS]
    if fmt == "votable/td":
        rows = [r[:-1] + (r[-1] or TRIANGLE,) for r in rows]
    path = tmp_path / "result.vot"
    path.write_bytes(b"".join(write(
        fmt, columns, [rows], overflow=QueryStatus(True),
        infos=[Info("SERVICE", "SOXS TAP")],
        resource_infos=query_infos("SELECT * FROM x WHERE a < 1", request_date="2024-01-01"),
    )))
    assert votlint(path) == ""


def test_metadata_only_document_is_clean(tmp_path):
    path = tmp_path / "empty.vot"
    path.write_bytes(b"".join(write("votable", COLUMNS, [])))
    assert votlint(path) == ""


def test_error_document_is_clean(tmp_path):
    path = tmp_path / "error.vot"
    path.write_bytes(error_document("syntax error near '<' & \x07 in ADQL",
                                    infos=[Info("QUERY", "SELECT <")]))
    assert votlint(path) == ""
