"""Pure-Python, value-by-value BINARY/BINARY2 encoder: the test oracle.

Written for obviousness, not speed (one `struct.pack` per value).  The fast
`~soxsvo.formats.binary.BinaryEncoder` must produce identical bytes; tests
compare the two on random data with nulls.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence

from soxsvo.formats.fields import INT_NULLS, ColumnSpec, format_timestamp

__all__ = ["encode_rows"]

_STRUCT = {
    "unsignedByte": "B", "short": "h", "int": "i", "long": "q", "float": "f", "double": "d",
}


def _pack_number(spec: ColumnSpec, value) -> bytes:
    datatype = spec.meta.datatype
    if datatype in ("floatComplex", "doubleComplex"):
        code = ">ff" if datatype == "floatComplex" else ">dd"
        value = complex(math.nan, math.nan) if value is None else complex(value)
        return struct.pack(code, value.real, value.imag)
    if value is None:
        value = INT_NULLS.get(datatype, math.nan)
    value = float(value) if datatype in ("float", "double") else int(value)
    return struct.pack(">" + _STRUCT[datatype], value)


def _encode_string(spec: ColumnSpec, value) -> bytes:
    if value is None:
        return struct.pack(">I", 0)
    text = format_timestamp(value) if spec.kind == "timestamp" else str(value)
    if spec.kind == "unicodeChar":
        data = text.encode("utf_16_be")
        return struct.pack(">I", len(data) // 2) + data
    data = text.encode("ascii", "replace")
    return struct.pack(">I", len(data)) + data


def encode_value(spec: ColumnSpec, value) -> bytes:
    """The BINARY bytes of one cell (nulls as NaN, sentinel, ``?`` or empty)."""
    if spec.is_string:
        return _encode_string(spec, value)
    if spec.kind == "boolean":
        return b"?" if value is None else (b"T" if value else b"F")
    if spec.count == 1:
        return _pack_number(spec, value)
    if spec.count is None:
        items = [] if value is None else list(value)
        return struct.pack(">I", len(items)) + b"".join(_pack_number(spec, v) for v in items)
    items = [None] * spec.count if value is None else list(value)
    if len(items) != spec.count:
        raise ValueError(f"column {spec.name}: expected {spec.count} elements")
    return b"".join(_pack_number(spec, v) for v in items)


def encode_rows(specs: Sequence[ColumnSpec], rows: Iterable[tuple], *, binary2: bool) -> bytes:
    """BINARY (``binary2=False``) or BINARY2 bytes of ``rows``, one value at a time."""
    out = []
    for row in rows:
        if binary2:
            flags = 0
            for value in row:
                flags = (flags << 1) | (value is None)
            nbytes = (len(specs) + 7) // 8
            flags <<= nbytes * 8 - len(specs)  # first column is the most significant bit
            out.append(flags.to_bytes(nbytes, "big"))
        for spec, value in zip(specs, row, strict=True):
            out.append(encode_value(spec, value))
    return b"".join(out)
