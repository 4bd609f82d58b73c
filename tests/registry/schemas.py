"""XML Schema validation of OAI-PMH answers and VOResource records, offline.

The schemas are the copies in ``tests/data/vo-schemas`` (see ``tests/data/README.md``); every
namespace an answer uses is mapped to its local file, so nothing is fetched from the network.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "vo-schemas"
FILES = {
    "http://www.openarchives.org/OAI/2.0/": "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai_dc.xsd",
    "http://purl.org/dc/elements/1.1/": "simpledc20021212.xsd",
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
    "http://www.ivoa.net/xml/RegistryInterface/v1.0": "RegistryInterface.xsd",
    "http://www.ivoa.net/xml/VOResource/v1.0": "VOResource.xsd",
    "http://www.ivoa.net/xml/VODataService/v1.1": "VODataService.xsd",
    "http://www.ivoa.net/xml/STC/stc-v1.30.xsd": "stc.xsd",
    "http://www.ivoa.net/xml/VORegistry/v1.0": "VORegistry.xsd",
    "http://www.ivoa.net/xml/TAPRegExt/v1.0": "TAPRegExt.xsd",
    "http://www.ivoa.net/xml/ConeSearch/v1.0": "ConeSearch.xsd",
    "http://www.ivoa.net/xml/SSA/v1.1": "SSA.xsd",
}


@cache
def _schema():
    xmlschema = pytest.importorskip("xmlschema")
    locations = [(ns, str(SCHEMAS / name)) for ns, name in FILES.items()]
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{path}"/>'
                      for ns, path in locations)
    driver = ('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
              f'targetNamespace="urn:soxsvo:tests">{imports}</xs:schema>')
    # lax: stc.xsd (imported by VODataService) has a restriction xmlschema deems illegal in
    # a part of STC no record uses; the records themselves are still validated strictly.
    return xmlschema.XMLSchema(io.StringIO(driver), locations=locations, allow="local",
                               base_url=str(SCHEMAS), validation="lax")


def schema_errors(document: str | bytes) -> list[str]:
    """What the schemas find wrong in ``document`` (empty when it is valid)."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    return [f"{error.path}: {error.reason}" for error in _schema().iter_errors(text)]
