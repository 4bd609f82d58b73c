"""The SSA 1.1 capability (``ssa:SimpleSpectralAccess``) for VOSI capabilities documents.

Listed in ``/tap/capabilities`` beside TAP's (one service root for registries and TOPCAT) and
in ``/ssa/capabilities`` with the VOSI resources of ``/ssa``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

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
        f"<maxRecords>{int(ssa_settings['maxrec_hard'])}</maxRecords>"
        f"<defaultMaxRecords>{int(ssa_settings['maxrec_default'])}</defaultMaxRecords>"
        f"<maxAperture>{MAX_APERTURE_DEG!r}</maxAperture>"
        "<testQuery><queryDataCmd>REQUEST=queryData&amp;MAXREC=1</queryDataCmd></testQuery>"
        "</capability>"
    )


def capabilities_document(base_url: str, ssa_settings: dict) -> str:
    """VOSI capabilities of ``{base_url}/ssa``: SSA, VOSI capabilities and availability."""
    vosi = "".join(
        f'<capability standardID="ivo://ivoa.net/std/VOSI#{name}">'
        '<interface xsi:type="vs:ParamHTTP">'
        f'<accessURL use="full">{escape(base_url)}/ssa/{name}</accessURL></interface>'
        "</capability>"
        for name in ("capabilities", "availability"))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
            f'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" {SSA_NS}>'
            + ssa_capability(base_url, ssa_settings) + vosi + "</vosi:capabilities>")
