"""VOSI capabilities of DataLink 1.1 and SODA 1.0 (one document for both, at
``/datalink/capabilities``)."""

from __future__ import annotations

from soxsvo.dali.vosi import capabilities_document as capabilities_document_of
from soxsvo.dali.vosi import capability, vosi_capabilities


def capabilities_document(base_url: str) -> str:
    """VOSI capabilities of DataLink and SODA, with their VOSI resources."""
    return capabilities_document_of((
        capability("ivo://ivoa.net/std/DataLink#links-1.1", f"{base_url}/datalink/links", "std"),
        capability("ivo://ivoa.net/std/SODA#sync-1.0", f"{base_url}/soda/sync", "std"),
        vosi_capabilities(f"{base_url}/datalink", (("capabilities", "capabilities"),
                                                   ("availability", "availability"))),
    ))
