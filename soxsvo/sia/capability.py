"""The SIAP 2.0 capability for VOSI capabilities documents and the registry."""

from __future__ import annotations

from xml.sax.saxutils import escape

from soxsvo.dali.vosi import capabilities_document as capabilities_document_of
from soxsvo.dali.vosi import vosi_capabilities

STANDARD_ID = "ivo://ivoa.net/std/SIA#query-2.0"


def sia_capability(base_url: str) -> str:
    """The ``<capability>`` of ``{base_url}/sia/query``.

    Plain VOResource (no ``sia:SimpleImageAccess`` type): SIA 2.0 defines no capability
    extension of its own, and pyvo and TOPCAT find the service by its standardID."""
    return (f'<capability standardID="{STANDARD_ID}">'
            '<interface xsi:type="vs:ParamHTTP" role="std" version="2.0">'
            f'<accessURL use="base">{escape(base_url)}/sia/query</accessURL>'
            # GET only: pyvo's VOSI reader warns (W17) on a second queryType, though
            # VODataService allows two; /sia/query accepts POST all the same.
            "<queryType>GET</queryType>"
            "<resultType>application/x-votable+xml</resultType></interface></capability>")


def capabilities_document(base_url: str) -> str:
    """VOSI capabilities of ``{base_url}/sia``: SIA 2.0, VOSI capabilities and availability."""
    resources = vosi_capabilities(f"{base_url}/sia", (("capabilities", "capabilities"),
                                                      ("availability", "availability")))
    return capabilities_document_of((sia_capability(base_url), resources))
