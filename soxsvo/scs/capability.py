"""The SCS capability (``cs:ConeSearch``) of each cone table, for VOSI and the registry."""

from __future__ import annotations

from xml.sax.saxutils import escape

from soxsvo.dali.vosi import capabilities_document, vosi_capabilities
from soxsvo.scs.tables import ConeTable

CS_NS = 'xmlns:cs="http://www.ivoa.net/xml/ConeSearch/v1.0"'
STANDARD_ID = "ivo://ivoa.net/std/ConeSearch"


def service_url(base_url: str, table: ConeTable) -> str:
    """Where the cone search of ``table`` answers."""
    return f"{base_url}/scs/{table.name}"


def cone_capability(base_url: str, table: ConeTable, scs_settings, *,
                    extension: bool = True) -> str:
    """The ``<capability>`` of the cone search of ``table`` (ConeSearch 1.0 schema order).

    ``extension=False`` gives the plain VOResource capability, for ``/tap/capabilities``:
    STILTS taplint checks that document with schemas that lack ConeSearch's (as for SSA).
    """
    url = service_url(base_url, table)
    head = (f'<capability standardID="{STANDARD_ID}"'
            + (' xsi:type="cs:ConeSearch">' if extension else ">")
            + '<interface xsi:type="vs:ParamHTTP" role="std" version="1.03">'
            f'<accessURL use="base">{escape(url)}?</accessURL>'
            "<queryType>GET</queryType>"
            "<resultType>application/x-votable+xml</resultType></interface>")
    if not extension:
        return head + "</capability>"
    return (head
            + f"<maxSR>{scs_settings.max_sr!r}</maxSR>"
            f"<maxRecords>{int(scs_settings.maxrec)}</maxRecords>"
            "<verbosity>true</verbosity>"
            # Any cone is a valid test: one with no rows answers as well as one with some.
            "<testQuery><ra>0.0</ra><dec>0.0</dec><sr>0.001</sr></testQuery>"
            "</capability>")


def capabilities(base_url: str, table: ConeTable, scs_settings) -> str:
    """VOSI capabilities of the cone search of ``table``."""
    url = service_url(base_url, table)
    resources = vosi_capabilities(url, (("capabilities", "capabilities"),
                                        ("availability", "availability")))
    return capabilities_document((cone_capability(base_url, table, scs_settings), resources),
                                 CS_NS)
