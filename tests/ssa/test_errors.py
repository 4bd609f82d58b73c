"""Bad SSA input gets an SSA error document (QUERY_STATUS=ERROR) saying what is wrong, with the
right HTTP status; a spectrum the caller may not see does not exist for them."""

from __future__ import annotations

import pytest

from .helpers import query_status, table_of

BAD_QUERIES = [
    ({"POS": "10"}, "POS"),
    ({"POS": "ten,20"}, "POS"),
    ({"POS": "400,20"}, "right ascension"),
    ({"POS": "10,95"}, "declination"),
    ({"POS": "10,20;GALACTIC"}, "frame"),
    ({"POS": "10,20", "SIZE": "-1"}, "SIZE"),
    ({"POS": "10,20", "SIZE": "0"}, "SIZE"),
    ({"POS": "10,20", "SIZE": "500"}, "at most 180"),
    ({"POS": "10,20", "SIZE": "nan"}, "finite"),
    ({"BAND": "650/660"}, "metres"),
    ({"BAND": "7e-7/6e-7"}, "starts after it ends"),
    ({"BAND": "red"}, "not a number"),
    ({"BAND": "/"}, "at least one end"),
    ({"TIME": "yesterday"}, "ISO 8601"),
    ({"TIME": "2026-02-01/2026-01-01"}, "starts after it ends"),
    ({"FORMAT": "jpeg"}, "FORMAT"),
    ({"MAXREC": "-1"}, "MAXREC"),
    ({"MAXREC": "many"}, "MAXREC"),
    ({"SNR": "high"}, "SNR"),
    ({"RESPONSEFORMAT": "csv"}, "VOTable"),
]


@pytest.mark.parametrize(("params", "says"), BAD_QUERIES,
                         ids=[f"{k}={v}" for p, _ in BAD_QUERIES for k, v in list(p.items())[-1:]])
def test_bad_querydata_input_is_a_400_error_document(client, params, says):
    answer = client.get("/ssa", query_string={"REQUEST": "queryData", **params})
    assert answer.status_code == 400
    status, message = query_status(answer.data)
    assert status == "ERROR"
    assert says.lower() in message.lower(), message


@pytest.mark.parametrize("request_value", [None, "getSpectra"])
def test_missing_or_unknown_request_is_an_error(client, request_value):
    params = {"REQUEST": request_value} if request_value else {}
    answer = client.get("/ssa", query_string=params)
    assert answer.status_code == 400
    status, message = query_status(answer.data)
    assert status == "ERROR" and "REQUEST" in message


def test_getdata_errors(client, released):
    unknown = client.get("/ssa", query_string={"REQUEST": "getData",
                                               "PUBDID": "ivo://eso.org/soxs/ID?ADP.nope"})
    assert unknown.status_code == 404
    assert query_status(unknown.data) == (
        "ERROR", "no spectrum with PUBDID ivo://eso.org/soxs/ID?ADP.nope is available to you")
    missing = client.get("/ssa", query_string={"REQUEST": "getData"})
    assert missing.status_code == 400 and "PUBDID" in query_status(missing.data)[1]
    bad_format = client.get("/ssa", query_string={"REQUEST": "getData", "FORMAT": "png",
                                                  "PUBDID": released[0].pubdid})
    assert bad_format.status_code == 400 and "FORMAT" in query_status(bad_format.data)[1]


def test_proprietary_spectrum_is_invisible_to_anonymous_callers(client, demo_spectra):
    hidden = next(s for s in demo_spectra if not s.released)
    found = client.get("/ssa", query_string={"REQUEST": "queryData", "PUBDID": hidden.pubdid})
    assert found.status_code == 200
    assert len(table_of(found.data)) == 0
    near = client.get("/ssa", query_string={"REQUEST": "queryData", "MAXREC": "10000",
                                            "POS": f"{hidden.ra},{hidden.dec}", "SIZE": "0.01"})
    assert hidden.pubdid not in set(table_of(near.data)["ssa_pubdid"])
    for fmt in ("fits", "votable"):
        answer = client.get("/ssa", query_string={"REQUEST": "getData", "FORMAT": fmt,
                                                  "PUBDID": hidden.pubdid})
        assert answer.status_code == 404
        assert query_status(answer.data)[0] == "ERROR"
