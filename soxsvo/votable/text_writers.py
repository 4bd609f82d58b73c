"""CSV, TSV and JSON writers: one line (or array) per row, streamed per batch."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence

from soxsvo.db.metadata import ColumnMeta
from soxsvo.votable.fields import column_specs, format_timestamp, text_value
from soxsvo.votable.info import Info, OverflowSource, resolve_overflow
from soxsvo.votable.writers import Batches, Writer


class CSVWriter(Writer):
    """RFC 4180 CSV with a header line; nulls are empty fields."""

    name = "CSV"
    mime_type = "text/csv"
    aliases = ("csv", "text/csv;header=present")
    file_extension = "csv"
    _dialect: dict = {"delimiter": ",", "lineterminator": "\r\n"}

    def stream(self, columns: Sequence[ColumnMeta], batches: Batches, *,
               infos: Iterable[Info] = (), resource_infos: Iterable[Info] = (),
               overflow: OverflowSource = False, table_name: str = "result") -> Iterator[bytes]:
        specs = column_specs(columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer, **self._dialect)
        writer.writerow([s.name for s in specs])
        yield buffer.getvalue().encode("utf-8")
        for batch in batches:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(
                [text_value(s, v) or "" for s, v in zip(specs, row, strict=True)] for row in batch
            )
            yield buffer.getvalue().encode("utf-8")
        resolve_overflow(overflow)  # text formats have no place for the status


class TSVWriter(CSVWriter):
    """Tab-separated values with a header line."""

    name = "TSV"
    mime_type = "text/tab-separated-values"
    aliases = ("tsv",)
    file_extension = "tsv"
    _dialect = {"delimiter": "\t", "lineterminator": "\n", "quoting": csv.QUOTE_MINIMAL}


def _json_value(spec, value):
    if value is None:
        return None
    if spec.kind == "timestamp":
        return format_timestamp(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, list | tuple):
        return [_json_value(spec, v) if isinstance(v, float) else v for v in value]
    if spec.kind == "number" and not isinstance(value, int | float):
        return float(value)
    return value


class JSONWriter(Writer):
    """JSON: ``{"columns": [...metadata...], "data": [[...], ...], "overflow": bool}``."""

    name = "JSON"
    mime_type = "application/json"
    aliases = ("json",)
    file_extension = "json"

    def stream(self, columns: Sequence[ColumnMeta], batches: Batches, *,
               infos: Iterable[Info] = (), resource_infos: Iterable[Info] = (),
               overflow: OverflowSource = False, table_name: str = "result") -> Iterator[bytes]:
        specs = column_specs(columns)
        meta = [{k: getattr(c, k) for k in ("name", "datatype", "arraysize", "xtype", "unit",
                                            "ucd", "utype", "description")} for c in columns]
        yield f'{{"columns": {json.dumps(meta)}, "data": ['.encode()
        first = True
        for batch in batches:
            rows = [json.dumps([_json_value(s, v) for s, v in zip(specs, row, strict=True)])
                    for row in batch]
            if rows:
                yield (("" if first else ",") + ",".join(rows)).encode("utf-8")
                first = False
        yield f'], "overflow": {json.dumps(resolve_overflow(overflow))}}}\n'.encode()
