"""BINARY / BINARY2 rows transcoded from PostgreSQL's binary COPY format, in one compiled pass.

PostgreSQL's ``COPY ... (FORMAT binary)`` sends each row as a field count and, per field, a
big-endian int32 length (-1 for NULL) followed by the value in network byte order. That is
almost VOTable's own encoding: numbers are already big-endian, a string is already a 4-byte
length and its bytes. Transcoding a row means dropping the length in front of fixed-size
values, turning NULLs into fill values plus a null flag, booleans into ``T``/``F``/``?`` and
non-ASCII characters into ``?``. Row boundaries depend on every string length before them, a
sequential walk numpy cannot vectorise: the loop is compiled with numba and runs without the
GIL (measured in docs/performance.md, "1,000,000-row stream").

The bytes are those of :class:`soxsvo.votable.binary.BinaryEncoder` fed the same rows as
Python tuples (``tests/tap/test_binary_copy.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from soxsvo.votable.fields import INT_NULLS, ColumnSpec

__all__ = ["PG_TYPES", "PgBinaryRows", "pg_type", "transcode"]

#: PostgreSQL type each VOTable datatype is cast to, so that its binary form is known.
PG_TYPES = {
    "double": "float8", "float": "float4", "long": "int8", "int": "int4", "short": "int2",
    "boolean": "bool", "char": "text",
}
#: char xtypes whose values are plain text (timestamps need reformatting: tuple path).
_PLAIN_CHAR_XTYPES = {None, "adql:REGION"}

# Column kinds of the compiled loop.
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

    data: bytes | bytearray
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


_COMPILED = []


def _kernel():
    """The compiled loop (numba imported and the cached machine code loaded on first use)."""
    if not _COMPILED:
        import numba

        jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        for helper in (_is_nan8, _is_nan4, _replace_non_ascii):
            globals()[helper.__name__] = jit(helper)
        _COMPILED.append(jit(_transcode_rows))
    return _COMPILED[0]


# Indices are unsigned in the compiled loop: numba checks signed ones for negative values
# (wrap-around) at every access, which made the loop twice as slow. Constants are typed too:
# uint64 mixed with a plain int literal would become float64.
_U1, _U2, _U4, _U8 = (np.uint64(k) for k in (1, 2, 4, 8))


def _transcode_rows(src, kinds, sizes, fills, nbits, out):  # pragma: no cover - compiled
    """Walk ``src`` row by row; return (bytes written to ``out``, rows transcoded).

    Stops early (returning fewer rows) at a row whose layout does not match the columns.
    """
    ncols = kinds.size
    n = np.uint64(src.size)
    flag_bytes = np.uint64(nbits)
    i = np.uint64(0)
    o = np.uint64(0)
    rows = 0
    while i + _U2 <= n:
        if (np.int64(src[i]) << 8 | np.int64(src[i + _U1])) != ncols:
            break
        i += _U2
        bitmap = o
        for b in range(flag_bytes):
            out[o + b] = 0
        o += flag_bytes
        for c in range(ncols):
            length = np.int32(np.uint32(src[i]) << 24 | np.uint32(src[i + _U1]) << 16
                              | np.uint32(src[i + _U2]) << 8 | np.uint32(src[i + _U2 + _U1]))
            kind = kinds[c]
            if length < 0:
                i += _U4
                if nbits:
                    out[bitmap + np.uint64(c >> 3)] |= np.uint8(0x80 >> (c & 7))
                size = _U4 if kind == 4 else np.uint64(sizes[c])  # _CHAR: a zero length
                for b in range(size):
                    out[o + b] = fills[c, b]
                o += size
                continue
            size = np.uint64(length)
            if kind == 4:  # _CHAR: length and bytes as they are, if ASCII
                high = np.uint8(0)
                for b in range(_U4 + size):
                    byte = src[i + b]
                    out[o + b] = byte
                    high |= byte
                if high >= 128 and size > 0:
                    o = _replace_non_ascii(src, i + _U4, size, out, o)
                else:
                    o += _U4 + size
                i += _U4 + size
            elif length != sizes[c]:
                return o, rows  # cannot happen with the casts of pg_type: caller raises
            elif kind == 3:  # _BOOL
                out[o] = 84 if src[i + _U4] else 70
                o += _U1
                i += _U4 + _U1
            else:
                i += _U4
                if kind == 2 and _is_nan8(src, i) or kind == 1 and _is_nan4(src, i):
                    for b in range(size):  # one NaN bit pattern, as numpy writes it
                        out[o + b] = fills[c, b]
                else:
                    for b in range(size):
                        out[o + b] = src[i + b]
                o += size
                i += size
        rows += 1
    return o, rows


def _is_nan8(src, i):  # pragma: no cover - compiled
    """Big-endian float64 at ``src[i]`` is a NaN: exponent all ones, mantissa not zero."""
    if (src[i] & 0x7F) != 0x7F or (src[i + _U1] & 0xF0) != 0xF0:
        return False
    rest = src[i + _U1] & 0x0F
    for b in range(_U2, _U8):
        rest |= src[i + b]
    return rest != 0


def _is_nan4(src, i):  # pragma: no cover - compiled
    if (src[i] & 0x7F) != 0x7F or (src[i + _U1] & 0x80) != 0x80:
        return False
    return ((src[i + _U1] & 0x7F) | src[i + _U2] | src[i + _U2 + _U1]) != 0


def _replace_non_ascii(src, start, size, out, o):  # pragma: no cover - compiled
    """Write a char value whose UTF-8 bytes are not all ASCII: one ``?`` per non-ASCII
    character (as ``str.encode("ascii", "replace")``), its length in front; return the end."""
    chars = np.uint64(0)
    for b in range(size):
        byte = src[start + b]
        if byte < 128 or byte >= 0xC0:  # continuation bytes of a character are skipped
            out[o + _U4 + chars] = byte if byte < 128 else 63
            chars += _U1
    out[o] = (chars >> np.uint64(24)) & np.uint64(0xFF)
    out[o + _U1] = (chars >> np.uint64(16)) & np.uint64(0xFF)
    out[o + _U2] = (chars >> _U8) & np.uint64(0xFF)
    out[o + _U2 + _U1] = chars & np.uint64(0xFF)
    return o + _U4 + chars
