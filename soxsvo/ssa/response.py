"""The VOTable documents of SSA queryData: search results and the ``FORMAT=metadata`` answer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from soxsvo.errors import InputError
from soxsvo.formats import Info, QueryStatus, UnknownFormatError, resolve_format
from soxsvo.formats.sdm import Param, annotate
from soxsvo.ssa.columns import (
    COLUMN_META,
    INPUT_PARAMS,
    PUBDID_COLUMN,
    TABLE_PARAMS,
    InputParam,
)
from soxsvo.ssa.params import DEFAULT_SIZE_DEG
from soxsvo.ssa.votable import service_descriptor

VOTABLE_MIME = "application/x-votable+xml"
DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.1"


def response_writer(value: str | None):
    """The VOTable writer of RESPONSEFORMAT (TABLEDATA by default: SSA clients of every age
    read it); SSA answers are VOTables, other formats are refused."""
    try:
        writer = resolve_format(value or "votable/td")
    except UnknownFormatError:
        writer = None
    if writer is None or not writer.mime_type.startswith(VOTABLE_MIME):
        raise InputError(f"RESPONSEFORMAT={value!r} is not supported: SSA answers in VOTable "
                         "(votable, votable/td, votable/b2, votable/b)")
    return writer


def _table_params() -> list[Param]:
    return [Param(p.name, p.value, ucd=p.ucd, utype=p.utype, description=p.description)
            for p in TABLE_PARAMS]


def _service_infos(echo: dict[str, str]) -> list[Info]:
    infos = [Info("SERVICE_PROTOCOL", "1.1", "SSAP"), Info("REQUEST", "queryData")]
    infos += [Info(name, value) for name, value in echo.items()
              if name not in ("REQUEST", "RESPONSEFORMAT")]
    return infos


def datalink_descriptor_for(base_url: str, did_column: str, description: str) -> str:
    """The DataLink service descriptor of ``/datalink/links`` bound to ``did_column`` (the
    publisher DID column of an SSA or SIA answer)."""
    return service_descriptor("datalink", DATALINK_STANDARD_ID, f"{base_url}/datalink/links",
                              did_column, description)


def datalink_descriptor(base_url: str) -> str:
    """The DataLink service descriptor bound to the publisher DID column."""
    return datalink_descriptor_for(
        base_url, PUBDID_COLUMN,
        "DataLink for each spectrum: the FITS, a preview plot, the raw frames, calibrations, "
        "related spectra and a cutout service")


def results_document(batches: Iterable[list[tuple]], status: QueryStatus, base_url: str,
                     echo: dict[str, str], response_format: str | None) -> Iterator[bytes]:
    """The streamed queryData answer over ``batches`` of rows."""
    writer = response_writer(response_format)
    chunks = writer.stream(COLUMN_META, batches, resource_infos=_service_infos(echo),
                           overflow=status, table_name="results")
    return annotate(chunks, params=_table_params(),
                    trailing_resources=[datalink_descriptor(base_url)])


def _input_param(param: InputParam, maxrec_default: int) -> Param:
    defaults = {"SIZE": repr(DEFAULT_SIZE_DEG), "MAXREC": str(maxrec_default),
                "REQUEST": "queryData", "FORMAT": "native", "RESPONSEFORMAT": "votable/td"}
    return Param(f"INPUT:{param.name}", defaults.get(param.name, ""), datatype=param.datatype,
                 unit=param.unit, ucd=param.ucd, utype=param.utype,
                 description=param.description, options=param.options,
                 id=f"INPUT_{param.name}")


def metadata_document(base_url: str, maxrec_default: int,
                      response_format: str | None) -> Iterator[bytes]:
    """``FORMAT=metadata``: every input parameter (``INPUT:`` PARAMs) and every output column
    (FIELDs of an empty table), SSA 1.1 section 8.8."""
    writer = response_writer(response_format)
    chunks = writer.stream(COLUMN_META, [], resource_infos=[
        Info("SERVICE_PROTOCOL", "1.1", "SSAP"), Info("REQUEST", "queryData"),
        Info("FORMAT", "metadata")], table_name="results")
    return annotate(chunks, params=_table_params(),
                    resource_params=[_input_param(p, maxrec_default) for p in INPUT_PARAMS],
                    trailing_resources=[datalink_descriptor(base_url)])
