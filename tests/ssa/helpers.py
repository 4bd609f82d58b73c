"""Helpers of the SSA tests: reading SSA answers, running STILTS votlint."""

from __future__ import annotations

import io

from astropy.io import votable


def parse(data: bytes):
    """The results table of an SSA answer (astropy VOTable, checked strictly)."""
    return votable.parse(io.BytesIO(data), verify="exception")


def table_of(data: bytes):
    """The first table of an SSA answer as an astropy Table."""
    return parse(data).get_first_table().to_table()


def query_status(data: bytes) -> tuple[str, str | None]:
    """(value, text) of the first QUERY_STATUS INFO of the results resource."""
    doc = parse(data)
    for info in doc.resources[0].infos:
        if info.name == "QUERY_STATUS":
            return info.value, info.content
    raise AssertionError("no QUERY_STATUS INFO")
