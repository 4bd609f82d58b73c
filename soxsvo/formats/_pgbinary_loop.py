"""The compiled loop of :mod:`soxsvo.formats.pgbinary`: PostgreSQL binary COPY rows to VOTable
BINARY/BINARY2 rows. Imported only when first needed: importing numba takes 0.4 s and about
100 MiB.

Column kinds: 0 integer, 1 float, 2 double, 3 boolean, 4 char (``pgbinary._KINDS``). ``fills``
holds per column the bytes written for a NULL (and for any NaN, so that every NaN has numpy's
one bit pattern, as the tuple path writes it).
"""

from __future__ import annotations

import numba
import numpy as np

#: Compiled once per machine (the code is cached beside this module or in numba's cache dir),
#: runs without the GIL; integer division by numpy's rules (no zero checks).
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

# Indices are unsigned in the compiled loop: numba checks signed ones for negative values
# (wrap-around) at every access, which made the loop twice as slow. Constants are typed too:
# uint64 mixed with a plain int literal would become float64.
_U1, _U2, _U4, _U8 = (np.uint64(k) for k in (1, 2, 4, 8))


@_jit
def transcode_rows(src, kinds, sizes, fills, nbits, out):
    """Walk ``src`` row by row; return (bytes written to ``out``, rows transcoded).

    Stops early (returning fewer rows) at a row whose layout does not match the columns or
    that runs past the end of ``src``: nothing is read or written out of bounds (numba does
    not check), as ``out`` has room for ``src`` plus the growth ``pgbinary._Layout`` allows.
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
            if i + _U4 > n:
                return o, rows  # a truncated row: the caller raises
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
            if i + _U4 + size > n:
                return o, rows
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


@_jit
def _is_nan8(src, i):
    """Big-endian float64 at ``src[i]`` is a NaN: exponent all ones, mantissa not zero."""
    if (src[i] & 0x7F) != 0x7F or (src[i + _U1] & 0xF0) != 0xF0:
        return False
    rest = src[i + _U1] & 0x0F
    for b in range(_U2, _U8):
        rest |= src[i + b]
    return rest != 0


@_jit
def _is_nan4(src, i):
    if (src[i] & 0x7F) != 0x7F or (src[i + _U1] & 0x80) != 0x80:
        return False
    return ((src[i + _U1] & 0x7F) | src[i + _U2] | src[i + _U2 + _U1]) != 0


@_jit
def _replace_non_ascii(src, start, size, out, o):
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
