"""Serialisation of query results (VOTable, CSV, TSV, FITS, JSON, Parquet) and DALI error documents.

Owns: streaming writers turning column metadata + row batches into bytes chunks.
Must not: run queries, open cursors or know about HTTP; callers feed it the rows.
"""

from soxsvo.formats.errors import UnknownFormatError, error_document
from soxsvo.formats.fields import UnsupportedColumnError
from soxsvo.formats.info import Info, QueryStatus, query_infos
from soxsvo.formats.registry import DEFAULT_WRITER, FORMATS, WRITERS, resolve_format, write
from soxsvo.formats.writers import Writer

__all__ = [
    "DEFAULT_WRITER",
    "FORMATS",
    "WRITERS",
    "Info",
    "QueryStatus",
    "UnknownFormatError",
    "UnsupportedColumnError",
    "Writer",
    "error_document",
    "query_infos",
    "resolve_format",
    "write",
]
