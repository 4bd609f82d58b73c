"""OAI-PMH at /oai: what a harvesting registry sees, checked against the OAI-PMH, VOResource
and extension schemas; and that every service a record announces answers at its URL."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
import requests
from astropy.io import votable

from .schemas import schema_errors

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RI = "{http://www.ivoa.net/xml/RegistryInterface/v1.0}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _oai(vo, **params) -> ElementTree.Element:
    answer = requests.get(f"{vo.url}/oai", params=params, timeout=60)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    assert schema_errors(answer.content) == [], params
    return ElementTree.fromstring(answer.content)


def _error_code(root) -> str | None:
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def _resources(root) -> dict[str, ElementTree.Element]:
    return {r.findtext("identifier"): r for r in root.iter(f"{RI}Resource")}


def test_identify_carries_the_registry_record(vo):
    root = _oai(vo, verb="Identify")
    identify = root.find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}baseURL") == f"{vo.url}/oai"
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    (registry,) = _resources(root).values()
    assert registry.get(XSI_TYPE) == "vg:Registry"
    harvest = registry.find("capability/interface/accessURL")
    assert harvest.text == f"{vo.url}/oai"


def test_list_records_validates_and_holds_every_service(vo):
    records = _resources(_oai(vo, verb="ListRecords", metadataPrefix="ivo_vor"))
    prefix = "ivo://eso.org/soxs"
    expected = {"ivo://eso.org", f"{prefix}/registry", f"{prefix}/tap", f"{prefix}/ssa",
                f"{prefix}/sia", f"{prefix}/obscore", f"{prefix}/scs/ivoa.obscore",
                f"{prefix}/scs/marshall.transient"}
    assert expected <= set(records)
    assert records["ivo://eso.org"].get(XSI_TYPE) == "vg:Authority"
    assert records[f"{prefix}/obscore"].get(XSI_TYPE) == "vs:CatalogResource"
    served_by = {r.find("relatedResource").get("ivo-id")
                 for r in records[f"{prefix}/spectra"].findall("content/relationship")}
    assert f"{prefix}/ssa" in served_by
    assert records[f"{prefix}/tap"].find(
        "capability[@standardID='ivo://ivoa.net/std/TAP']") is not None


def test_list_identifiers_and_formats(vo):
    headers = _oai(vo, verb="ListIdentifiers", metadataPrefix="oai_dc").iter(f"{OAI}header")
    identifiers = {h.findtext(f"{OAI}identifier") for h in headers}
    assert "ivo://eso.org/soxs/sia" in identifiers
    formats = _oai(vo, verb="ListMetadataFormats").iter(f"{OAI}metadataPrefix")
    assert {f.text for f in formats} == {"ivo_vor", "oai_dc"}
    sets = _oai(vo, verb="ListSets").iter(f"{OAI}setSpec")
    assert [s.text for s in sets] == ["ivo_managed"]


def test_get_record_in_both_formats(vo):
    vor = _oai(vo, verb="GetRecord", identifier="ivo://eso.org/soxs/ssa",
               metadataPrefix="ivo_vor")
    (ssa,) = _resources(vor).values()
    assert ssa.find("capability").get(XSI_TYPE) == "ssa:SimpleSpectralAccess"
    dc = _oai(vo, verb="GetRecord", identifier="ivo://eso.org/soxs/ssa", metadataPrefix="oai_dc")
    title = dc.find(".//{http://purl.org/dc/elements/1.1/}title").text
    assert "SSA" in title


def test_from_and_until_select_by_datestamp(vo):
    updated = vo.settings.registry.updated
    assert _error_code(_oai(vo, verb="ListIdentifiers", metadataPrefix="ivo_vor",
                            **{"from": updated})) is None
    later = _oai(vo, verb="ListIdentifiers", metadataPrefix="ivo_vor", **{"from": "2999-01-01"})
    assert _error_code(later) == "noRecordsMatch"
    assert _error_code(_oai(vo, verb="ListIdentifiers", metadataPrefix="ivo_vor",
                            until="2000-01-01")) == "noRecordsMatch"


@pytest.mark.parametrize(("params", "code"), [
    ({}, "badVerb"),
    ({"verb": "ListEverything"}, "badVerb"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "Identify", "identifier": "x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2026-01-01",
      "until": "2025-01-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "abc"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "ivo://eso.org/soxs/nothing",
      "metadataPrefix": "ivo_vor"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "ivo://eso.org/soxs/tap",
      "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "set": "other"}, "noRecordsMatch"),
])
def test_errors_are_oai_error_codes(vo, params, code):
    root = _oai(vo, **params)
    assert _error_code(root) == code
    if code in ("badVerb", "badArgument"):
        assert root.find(f"{OAI}request").attrib == {}


def test_repeated_argument_is_bad(vo):
    answer = requests.get(f"{vo.url}/oai?verb=Identify&verb=Identify", timeout=30)
    assert _error_code(ElementTree.fromstring(answer.content)) == "badArgument"


def test_post_is_answered_like_get(vo):
    answer = requests.post(f"{vo.url}/oai", data={"verb": "Identify"}, timeout=30)
    assert answer.status_code == 200 and schema_errors(answer.content) == []


def test_announced_services_answer(vo):
    records = _resources(_oai(vo, verb="ListRecords", metadataPrefix="ivo_vor"))
    cone = records["ivo://eso.org/soxs/scs/marshall.transient"].find(
        "capability[@standardID='ivo://ivoa.net/std/ConeSearch']")
    test = cone.find("testQuery")
    url = cone.find("interface/accessURL").text
    answer = requests.get(url, params={"RA": test.findtext("ra"), "DEC": test.findtext("dec"),
                                       "SR": test.findtext("sr")}, timeout=30)
    assert votable.parse(io.BytesIO(answer.content)).get_first_table() is not None
    sia = records["ivo://eso.org/soxs/sia"].find("capability/interface/accessURL").text
    assert requests.get(sia, params={"MAXREC": 0}, timeout=30).status_code == 200
    for key in ("tap", "ssa"):
        for capability in records[f"ivo://eso.org/soxs/{key}"].findall("capability"):
            if "VOSI#availability" in capability.get("standardID"):
                availability = capability.find("interface/accessURL").text
                assert b"true" in requests.get(availability, timeout=30).content


def test_a_broken_record_is_caught_by_the_schemas(vo):
    # The check is not vacuous: a record missing a required element fails it.
    answer = requests.get(f"{vo.url}/oai", params={
        "verb": "GetRecord", "identifier": "ivo://eso.org", "metadataPrefix": "ivo_vor"},
        timeout=30).text
    broken = answer.replace("<managingOrg>", "<managingOrganisation>").replace(
        "</managingOrg>", "</managingOrganisation>")
    assert schema_errors(broken) != []
