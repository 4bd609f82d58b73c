"""CSV (RFC 4180) and TSV (IANA text/tab-separated-values) writers.

Both have a header line of column names and no other metadata.  Nulls are
empty fields (so an empty string reads back as null); NaN is ``NaN``;
arrays are space-separated numbers in one field; booleans ``T``/``F``;
timestamps ISO 8601.  TSV cannot quote: tabs and line breaks inside values
become spaces.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.fields import ColumnSpec, column_specs, text_value
from soxsvo.formats.info import Info, OverflowSource, resolve_overflow
from soxsvo.formats.writers import Batches, Writer

__all__ = ["CsvWriter", "TsvWriter"]

_TSV_CLEAN = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def _converters(specs: Sequence[ColumnSpec]):
    """Per column: None if the csv module's own ``str()`` is right, else a function."""
    out = []
    for spec in specs:
        plain = spec.kind in ("char", "unicodeChar") or (
            spec.kind == "number" and spec.count == 1
            and spec.meta.datatype not in ("float", "double", "floatComplex", "doubleComplex"))
        if plain:
            out.append(None)
        elif spec.kind == "boolean":
            # True/False, not T/F: what CSV readers (astropy.io.ascii) take for booleans
            out.append(lambda v: None if v is None else str(bool(v)))
        else:
            out.append(lambda v, s=spec: text_value(s, v))
    return out


def _text_rows(specs: Sequence[ColumnSpec], batch: Sequence[tuple]) -> list:
    """Rows with only the columns needing conversion converted (the rest as is)."""
    converters = _converters(specs)
    if all(c is None for c in converters):
        return batch
    return [tuple(v if c is None else c(v) for c, v in zip(converters, row, strict=True))
            for row in batch]


class CsvWriter(Writer):
    """Comma-separated values with a header line (``text/csv;header=present``)."""

    name = "CSV"
    mime_type = "text/csv;header=present"
    aliases = ("text/csv", "csv")
    file_extension = "csv"

    def stream(
        self,
        columns: Sequence[ColumnMeta],
        batches: Batches,
        *,
        infos: Iterable[Info] = (),
        resource_infos: Iterable[Info] = (),
        overflow: OverflowSource = False,
        table_name: str = "result",
    ) -> Iterator[bytes]:
        # CSV has no place for INFOs: they and the overflow flag are dropped
        # (callers may still pass a status, it is evaluated for symmetry).
        specs = column_specs(columns)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([s.name for s in specs])
        yield buf.getvalue().encode("utf-8")
        for batch in batches:
            buf.seek(0)
            buf.truncate()
            writer.writerows(_text_rows(specs, batch))
            if buf.tell():
                yield buf.getvalue().encode("utf-8")
        resolve_overflow(overflow)


class TsvWriter(Writer):
    """Tab-separated values with a header line."""

    name = "TSV"
    mime_type = "text/tab-separated-values"
    aliases = ("tsv",)
    file_extension = "tsv"

    def stream(
        self,
        columns: Sequence[ColumnMeta],
        batches: Batches,
        *,
        infos: Iterable[Info] = (),
        resource_infos: Iterable[Info] = (),
        overflow: OverflowSource = False,
        table_name: str = "result",
    ) -> Iterator[bytes]:
        specs = column_specs(columns)
        yield ("\t".join(s.name.translate(_TSV_CLEAN) for s in specs) + "\n").encode("utf-8")
        for batch in batches:
            lines = []
            for row in batch:
                cells = (text_value(s, v) for s, v in zip(specs, row, strict=True))
                lines.append("\t".join("" if c is None else c.translate(_TSV_CLEAN)
                                       for c in cells))
            if lines:
                yield ("\n".join(lines) + "\n").encode("utf-8")
        resolve_overflow(overflow)
