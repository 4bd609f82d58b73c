"""JSON writer in the style of DaCHS/GAVO's ``application/json`` TAP output.

``{"contains": "table", "columns": [...], "data": [[...], ...],
"queryStatus": "OK"|"OVERFLOW", "infos": {...}}``: column metadata as
objects with the VOTable attribute names, rows as arrays.  NaN and
infinities (not JSON) are null, timestamps ISO 8601 strings, Decimals numbers.
The status comes last because it is only known after the rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.fields import ColumnSpec, column_specs, format_timestamp
from soxsvo.formats.info import Info, OverflowSource, resolve_overflow
from soxsvo.formats.writers import Batches, Writer

__all__ = ["JsonWriter"]


def _column_json(spec: ColumnSpec) -> dict:
    meta = spec.meta
    out = {"name": meta.name, "datatype": meta.datatype}
    for key, value in (("arraysize", spec.arraysize), ("xtype", meta.xtype), ("unit", meta.unit),
                       ("ucd", meta.ucd), ("utype", meta.utype),
                       ("description", meta.description)):
        if value is not None:
            out[key] = value
    return out


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return None if not value.is_finite() else float(value)
    return value


def _json_value(spec: ColumnSpec, value):
    if value is None:
        return None
    if spec.kind == "timestamp" or isinstance(value, dt.date):
        return format_timestamp(value)
    if spec.is_array:
        return [_finite(v) for v in value]
    if isinstance(value, complex):
        return [_finite(value.real), _finite(value.imag)]
    if spec.is_string and not isinstance(value, str):
        return str(value)
    return _finite(value)


class JsonWriter(Writer):
    """JSON object with column metadata and a ``data`` array of row arrays."""

    name = "JSON"
    mime_type = "application/json"
    aliases = ("json",)
    file_extension = "json"

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
        info_map = {i.name: i.value for i in (*infos, *resource_infos)}
        head = {"contains": "table", "tableName": table_name, "infos": info_map,
                "columns": [_column_json(s) for s in specs]}
        # Open the object and the data array; rows follow batch by batch.
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "data": [').encode("utf-8")
        first = True
        for batch in batches:
            if not batch:
                continue
            rows = [[_json_value(s, v) for s, v in zip(specs, row, strict=True)]
                    for row in batch]
            text = json.dumps(rows, ensure_ascii=False, allow_nan=False)[1:-1]
            yield (("\n" if first else ",\n") + text).encode("utf-8")
            first = False
        status = "OVERFLOW" if resolve_overflow(overflow) else "OK"
        yield f'], "queryStatus": "{status}"}}\n'.encode()
