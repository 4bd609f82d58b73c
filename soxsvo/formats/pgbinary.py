"""BINARY / BINARY2 rows transcoded from PostgreSQL's binary COPY format, in one compiled pass.

PostgreSQL's ``COPY ... (FORMAT binary)`` sends each row as a field count and, per field, a
big-endian int32 length (-1 for NULL) followed by the value in network byte order. That is
almost VOTable's own encoding: numbers are already big-endian, a string is already a 4-byte
length and its bytes. Transcoding a row means dropping the length in front of fixed-size
values, turning NULLs into fill values plus a null flag, booleans into ``T``/``F``/``?`` and
non-ASCII characters into ``?``. Row boundaries depend on every string length before them, a
sequential walk numpy cannot vectorise: the loop is compiled with numba and runs without the
GIL (measured in docs/performance.md, "1,000,000-row stream").

The bytes are those of :class:`soxsvo.formats.binary.BinaryEncoder` fed the same rows as
Python tuples (``tests/tap/test_binary_copy.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.fields import INT_NULLS, ColumnSpec

__all__ = ["PG_TYPES", "PgBinaryRows", "pg_type", "transcode", "warm_up"]

#: PostgreSQL type each VOTable datatype is cast to, so that its binary form is known.
PG_TYPES = {
    "double": "float8", "float": "float4", "long": "int8", "int": "int4", "short": "int2",
    "boolean": "bool", "char": "text",
}
#: char xtypes whose values are plain text (timestamps need reformatting: tuple path).
_PLAIN_CHAR_XTYPES = {None, "adql:REGION"}

# Column kinds of the compiled loop (soxsvo.formats._pgbinary_loop).
_INT, _FLOAT4, _FLOAT8, _BOOL, _CHAR = range(5)
_KINDS = {"long": _INT, "int": _INT, "short": _INT, "float": _FLOAT4, "double": _FLOAT8,
          "boolean": _BOOL, "char": _CHAR}
_SIZES = {"long": 8, "int": 4, "short": 2, "float": 4, "double": 8, "boolean": 1, "char": 0}


def pg_type(spec: ColumnSpec) -> str | None:
    """The PostgreSQL type a column is cast to for this path, None if it needs the tuple path
    (timestamps, arrays, unicodeChar, unsigned bytes)."""
    meta = spec.meta
    if meta.datatype == "char":
        return "text" if spec.kind == "char" and meta.xtype in _PLAIN_CHAR_XTYPES else None
    if spec.count != 1 or meta.arraysize is not None or meta.xtype is not None:
        return None
    return PG_TYPES.get(meta.datatype)


@dataclass(frozen=True)
class PgBinaryRows:
    """Complete rows of a binary COPY stream (no header, no trailer), as received."""

    data: bytes | bytearray | np.ndarray
    count: int

    def __len__(self) -> int:
        return self.count


class _Layout:
    """Per-column arrays the compiled loop reads: kind, value size and fill value bytes."""

    def __init__(self, specs: Sequence[ColumnSpec]) -> None:
        datatypes = [spec.meta.datatype for spec in specs]
        self.kinds = np.array([_KINDS[d] for d in datatypes], np.int8)
        self.sizes = np.array([_SIZES[d] for d in datatypes], np.int32)
        self.fills = np.zeros((len(specs), 8), np.uint8)
        for i, datatype in enumerate(datatypes):
            fill = _fill_bytes(datatype)
            self.fills[i, :len(fill)] = np.frombuffer(fill, np.uint8)
        # Upper bound of output growth per row: a NULL double is 8 bytes out for 4 in.
        self.growth = (len(specs) + 7) // 8 + 4 * len(specs)


def _fill_bytes(datatype: str) -> bytes:
    """What BinaryEncoder writes for a NULL of ``datatype`` (and for NaN, canonically)."""
    if datatype in INT_NULLS:
        return np.array(INT_NULLS[datatype], np.dtype(f">i{_SIZES[datatype]}")).tobytes()
    if datatype in ("float", "double"):
        return np.array(np.nan, np.dtype(f">f{_SIZES[datatype]}")).tobytes()
    if datatype == "boolean":
        return b"?"
    return b""


_LAYOUTS: dict[tuple, _Layout] = {}


def transcode(specs: Sequence[ColumnSpec], binary2: bool, rows: PgBinaryRows) -> bytes:
    """BINARY(2) bytes of ``rows``, whose columns were cast to ``pg_type`` of ``specs``."""
    key = tuple(spec.meta.datatype for spec in specs)
    layout = _LAYOUTS.get(key) or _LAYOUTS.setdefault(key, _Layout(specs))
    src = np.frombuffer(rows.data, np.uint8)
    out = np.empty(len(src) + rows.count * layout.growth, np.uint8)
    nbits = (len(specs) + 7) // 8 if binary2 else 0
    written, count = _kernel()(src, layout.kinds, layout.sizes, layout.fills, nbits, out)
    written = int(written)
    if count != rows.count:
        raise ValueError(f"binary COPY data does not match the {len(specs)} result columns"
                         f" (row {count + 1})")
    return out[:written].tobytes()


def _kernel():
    """The compiled loop: numba is imported (0.4 s) and the machine code loaded from numba's
    cache (compiled once, ~3 s) only when a result first needs it (or by :func:`warm_up`)."""
    from soxsvo.formats._pgbinary_loop import transcode_rows

    return transcode_rows


def warm_up() -> None:
    """Import and load the compiled loop now (a web worker does it before serving, so that its
    first query does not wait for it)."""
    from soxsvo.formats.fields import column_specs

    # A bytearray, as binary_copy makes: numba compiles per argument type (read-only or not).
    transcode(column_specs([ColumnMeta("x", "long")]), True,
              PgBinaryRows(bytearray(b"\x00\x01\x00\x00\x00\x08" + bytes(8)), 1))

