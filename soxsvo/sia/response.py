"""The VOTable of a SIA answer: ObsCore columns, a DataLink service descriptor, its INFOs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from soxsvo.errors import InputError
from soxsvo.formats import Info, QueryStatus, UnknownFormatError, Writer, resolve_format
from soxsvo.formats.sdm import annotate
from soxsvo.ssa.response import datalink_descriptor_for
from soxsvo.tap.query import PreparedQuery

VOTABLE_MIME = "application/x-votable+xml"
#: The DataLink descriptor's ID parameter takes this column's values.
DID_COLUMN = "obs_publisher_did"


def response_writer(value: str | None) -> Writer:
    """The VOTable writer of RESPONSEFORMAT (BINARY2 by default); SIA answers only VOTable."""
    try:
        writer = resolve_format(value or "votable")
    except UnknownFormatError:
        writer = None
    if writer is None or not writer.mime_type.startswith(VOTABLE_MIME):
        raise InputError(f"RESPONSEFORMAT={value!r} is not supported: SIA answers in VOTable "
                         "(votable, votable/td, votable/b2, votable/b)")
    return writer


def results_document(writer: Writer, prepared: PreparedQuery, batches: Iterable[list],
                     status: QueryStatus, base_url: str) -> Iterator[bytes]:
    """The streamed answer over ``batches``; FIELD IDs let the descriptor name its column."""
    infos = [Info("SERVICE_PROTOCOL", "2.0", "SIA"), Info("REQUEST", "query")]
    chunks = writer.stream(prepared.columns, batches, resource_infos=infos, overflow=status,
                           table_name="results")
    return annotate(chunks, trailing_resources=[datalink_descriptor_for(
        base_url, DID_COLUMN, "DataLink for each image: the FITS, previews, provenance, "
        "calibrations and a SODA cutout service")])
