"""Shared checks of the DataLink tests: STILTS votlint and DALI error documents."""

from __future__ import annotations

import io

from astropy.io import votable

from tests.support import votlint

__all__ = ["by_semantics", "dali_error", "votlint"]


def dali_error(document: bytes) -> str:
    """The message of a DALI error VOTable (QUERY_STATUS=ERROR), failing if it is not one."""
    parsed = votable.parse(io.BytesIO(document), verify="ignore")
    status = [info for info in parsed.resources[0].infos if info.name == "QUERY_STATUS"]
    assert status and status[0].value == "ERROR", document[:300]
    return status[0].content or ""


def by_semantics(links, term: str):
    """pyvo's ``bysemantics`` without narrower terms: those need the IVOA vocabulary from the
    network, which a test machine may not reach."""
    return links.bysemantics(term, include_narrower=False)
