"""The SSA 1.1 capability (``ssa:SimpleSpectralAccess``) for VOSI capabilities documents.

Listed in ``/tap/capabilities`` beside TAP's (one service root for registries and TOPCAT) and
in ``/ssa/capabilities`` with the VOSI resources of ``/ssa``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from soxsvo.dali.vosi import capabilities_document as capabilities_document_of
from soxsvo.dali.vosi import vosi_capabilities

SSA_NS = 'xmlns:ssa="http://www.ivoa.net/xml/SSA/v1.1"'
#: Largest search radius SIZE allows (SIZE is a diameter of at most 180 degrees).
MAX_SEARCH_RADIUS_DEG = 90
#: SOXS's slit is 12 arcsec long: the largest aperture of any spectrum, in degrees.
MAX_APERTURE_DEG = 12 / 3600


def ssa_capability(base_url: str, ssa_settings: dict, *, extension: bool = True) -> str:
    """The ``<capability>`` of the SSA service at ``{base_url}/ssa`` (elements in the order
    of the SSA 1.1 capability schema).

    ``extension=False`` gives the plain VOResource capability (standardID and interface only),
    for documents checked against schemas that lack SSA's: STILTS taplint 3.4 validates
    ``/tap/capabilities`` with its bundled schemas only, and an ``ssa:SimpleSpectralAccess``
    there is an error ("Cannot resolve 'ssa:SimpleSpectralAccess' to a type definition").
    """
    head = ('<capability standardID="ivo://ivoa.net/std/SSA"'
            + (' xsi:type="ssa:SimpleSpectralAccess">' if extension else ">")
            + '<interface xsi:type="vs:ParamHTTP" role="std" version="1.1">'
            f'<accessURL use="base">{escape(base_url)}/ssa</accessURL>'
            # GET only: SSA requires it, and pyvo's VOSI reader warns (W17) on a second
            # queryType although VODataService allows two; /ssa accepts POST all the same.
            "<queryType>GET</queryType>"
            "<resultType>application/x-votable+xml</resultType></interface>")
    if not extension:
        return head + "</capability>"
    return (
        head
        + "<complianceLevel>full</complianceLevel>"
        "<dataSource>pointed</dataSource>"
        "<creationType>archival</creationType>"
        "<supportedFrame>ICRS</supportedFrame>"
        f"<maxSearchRadius>{MAX_SEARCH_RADIUS_DEG}</maxSearchRadius>"
        f"<maxRecords>{int(ssa_settings.maxrec_hard)}</maxRecords>"
        f"<defaultMaxRecords>{int(ssa_settings.maxrec_default)}</defaultMaxRecords>"
        f"<maxAperture>{MAX_APERTURE_DEG!r}</maxAperture>"
        "<testQuery><queryDataCmd>REQUEST=queryData&amp;MAXREC=1</queryDataCmd></testQuery>"
        "</capability>"
    )


def capabilities_document(base_url: str, ssa_settings: dict) -> str:
    """VOSI capabilities of ``{base_url}/ssa``: SSA, VOSI capabilities and availability."""
    resources = vosi_capabilities(f"{base_url}/ssa", (("capabilities", "capabilities"),
                                                      ("availability", "availability")))
    return capabilities_document_of((ssa_capability(base_url, ssa_settings), resources), SSA_NS)
