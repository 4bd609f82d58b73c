"""The DataLink service descriptor of SSA documents.

SSA documents need what TAP results do not: PARAMs in the results table, FIELD IDs (a DataLink
service descriptor refers to the publisher DID column by ID), a table utype, and a trailing
``<RESOURCE type="meta">``. :class:`~soxsvo.formats.sdm.Param` and
:func:`~soxsvo.formats.sdm.annotate` add them to the shared writers' stream (they live in
``formats`` since the SDM writer, shared with SODA, needs them too); the descriptor is here.
"""

from __future__ import annotations

from soxsvo.formats.sdm import Param
from soxsvo.formats.votable_xml import escape


def service_descriptor(name: str, standard_id: str, access_url: str, id_ref: str,
                       description: str) -> str:
    """A DataLink 1.1 service descriptor whose ID parameter takes the values of column
    ``id_ref`` (pyvo's ``iter_datalinks`` and TOPCAT follow it)."""
    params = [Param("standardID", standard_id), Param("accessURL", access_url),
              Param("contentType", "application/x-votable+xml;content=datalink")]
    id_param = Param("ID", "", ref=id_ref, ucd="meta.id;meta.main")
    return (f'<RESOURCE type="meta" utype="adhoc:service" name="{escape(name)}">'
            f"<DESCRIPTION>{escape(description)}</DESCRIPTION>"
            + "".join(p.xml() for p in params)
            + f'<GROUP name="inputParams">{id_param.xml()}</GROUP></RESOURCE>\n')
