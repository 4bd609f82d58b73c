"""Vectorised VOTable BINARY / BINARY2 row encoding and streaming base64.

A batch of row tuples is turned into column arrays with numpy; fixed-size
parts of all rows go into one packed structured array, variable-length
parts (strings, polygons) stay as one ``bytes`` per row, and the rows are
assembled with a single ``bytes.join`` over interleaved pieces.  This is
~20x faster than packing values one by one with `struct`, which
`soxsvo.formats.reference` still does as the oracle the tests compare with.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import is_

import numpy as np
import pybase64

from soxsvo.formats.fields import INT_NULLS, ColumnSpec, format_timestamps
from soxsvo.formats.pgbinary import PgBinaryRows, transcode

__all__ = [
    "Base64Stream", "BinaryEncoder", "boolean_array", "encode_strings", "number_array",
    "variable_arrays",
]


def _null_mask(values: list) -> np.ndarray | None:
    """Boolean null flags of ``values``, or None when there is no null (common case)."""
    if None not in values:
        return None
    return np.fromiter(map(is_, values, repeat(None)), bool, len(values))


def encode_strings(
    spec: ColumnSpec, values: list
) -> tuple[list[bytes], np.ndarray, np.ndarray | None]:
    """Encoded bytes of each string value, its VOTable element count, null flags.

    ``char`` is ASCII (VOTable 1.4; astropy decodes it as ASCII): other
    characters become ``?``.  ``unicodeChar`` is UTF-16BE.  Nulls give ``b""``.

    Returns
    -------
    pieces : list of bytes
    counts : numpy.ndarray of uint32
        Characters per value (bytes for char, 16-bit units for unicodeChar).
    mask : numpy.ndarray of bool or None
        Null flags, None if there is no null.
    """
    n = len(values)
    if spec.kind == "timestamp":
        mask = _null_mask(values)
        pieces = format_timestamps(values)
        return pieces, np.fromiter(map(len, pieces), np.uint32, n), mask
    if spec.kind == "unicodeChar":
        mask = _null_mask(values)
        pieces = [b"" if v is None else str(v).encode("utf_16_be") for v in values]
        return pieces, np.fromiter(map(len, pieces), np.uint32, n) // 2, mask
    mask = None
    try:
        joined = "\x00".join(values)
    except TypeError:  # nulls, or non-str values (uuid, numbers): use their str()
        mask = _null_mask(values)
        values = ["" if v is None else v if isinstance(v, str) else str(v) for v in values]
        joined = "\x00".join(values)
    # One encode + split in C beats n encode() calls; valid unless a value
    # itself holds NUL (PostgreSQL text never does) or non-ASCII.
    if joined.isascii() and joined.count("\x00") == n - 1:
        data = joined.encode("ascii")
        # Lengths from the separator positions: one numpy pass instead of n len() calls.
        seps = np.flatnonzero(np.frombuffer(data, np.uint8) == 0)
        ends = np.append(seps, len(data))
        counts = (ends - np.append(-1, seps) - 1).astype(np.uint32)
        return data.split(b"\x00"), counts, mask
    pieces = [v.encode("ascii", "replace") for v in values]
    return pieces, np.fromiter(map(len, pieces), np.uint32, n), mask


def number_array(spec: ColumnSpec, values: list) -> tuple[np.ndarray, np.ndarray | None]:
    """Fixed-size numeric column as an (n,) or (n, count) native array, and null flags."""
    dtype = spec.dtype.newbyteorder("=")
    n = len(values)
    mask = None
    try:
        if spec.count != 1:
            raise TypeError  # arrays: always look for nulls first
        # Fast path without a null scan: floats turn None into NaN by themselves
        # (then we check), ints refuse None with TypeError.
        arr = np.array(values, dtype=dtype)
        if dtype.kind in "fc" and np.isnan(arr).any():
            mask = _null_mask(values)
    except TypeError:
        mask = _null_mask(values)
        if mask is None:
            arr = _checked_array(spec, values, dtype)
        else:
            fill = INT_NULLS[spec.meta.datatype] if dtype.kind in "iu" else np.nan
            fill_value = fill if spec.count == 1 else [fill] * spec.count
            arr = _checked_array(spec, [fill_value if v is None else v for v in values], dtype)
    except (OverflowError, ValueError) as exc:
        raise _encode_error(spec, exc) from exc
    expected = (n,) if spec.count == 1 else (n, spec.count)
    if arr.shape != expected:
        raise ValueError(f"column {spec.name}: values of shape {arr.shape[1:]},"
                         f" arraysize says {spec.arraysize}")
    return arr, mask


def _encode_error(spec: ColumnSpec, exc: Exception) -> ValueError:
    return ValueError(f"column {spec.name}: cannot encode as {spec.meta.datatype}"
                      f"[{spec.arraysize or ''}]: {exc}")


def _checked_array(spec: ColumnSpec, values: list, dtype: np.dtype) -> np.ndarray:
    try:
        return np.array(values, dtype=dtype)
    except (OverflowError, ValueError, TypeError) as exc:
        raise _encode_error(spec, exc) from exc


def boolean_array(values: list) -> tuple[np.ndarray, np.ndarray | None]:
    mask = _null_mask(values)
    if mask is not None:
        values = [False if v is None else v for v in values]
    out = np.where(np.array(values, dtype=bool), ord("T"), ord("F")).astype(np.uint8)
    if mask is not None:
        out[mask] = ord("?")
    return out, mask


def variable_arrays(spec: ColumnSpec, values: list) -> tuple[list[bytes], np.ndarray,
                                                              np.ndarray | None]:
    """Variable-length numeric arrays (polygons): rare and short, so per row."""
    dtype = spec.dtype
    try:
        pieces = [b"" if v is None else np.asarray(v, dtype=dtype).tobytes() for v in values]
    except (OverflowError, ValueError, TypeError) as exc:
        raise _encode_error(spec, exc) from exc
    counts = np.fromiter(map(len, pieces), np.uint32, len(values)) // dtype.itemsize
    return pieces, counts, _null_mask(values)


class BinaryEncoder:
    """Encode row batches as the bytes of a VOTable BINARY or BINARY2 stream.

    Parameters
    ----------
    specs : sequence of ColumnSpec
        The columns, in row order.
    binary2 : bool
        Prefix each row with the BINARY2 null bitmap.  Without it (BINARY)
        nulls are NaN, the `INT_NULLS` sentinels, ``?`` or empty arrays.
    """

    def __init__(self, specs: Sequence[ColumnSpec], *, binary2: bool) -> None:
        self.specs = tuple(specs)
        self.binary2 = binary2
        fields: list[tuple] = []
        if binary2:
            fields.append(("nulls", np.uint8, ((len(self.specs) + 7) // 8,)))
        # Fixed part of a row = everything but variable data; a variable column
        # contributes its 4-byte count and then ends a "run" of fixed bytes.
        self._run_ends: list[int] = []
        offset = fields[0][2][0] if binary2 else 0
        for i, spec in enumerate(self.specs):
            if spec.is_variable:
                fields.append((f"c{i}", ">u4"))
                offset += 4
                self._run_ends.append(offset)
            elif spec.kind == "boolean":
                fields.append((f"c{i}", np.uint8))
                offset += 1
            else:
                shape = () if spec.count == 1 else (spec.count,)
                fields.append((f"c{i}", spec.dtype, shape))
                offset += spec.dtype.itemsize * spec.count
        self._dtype = np.dtype(fields)
        assert self._dtype.itemsize == offset

    def encode(self, rows: Sequence[tuple]) -> bytes:
        """Encoded bytes of ``rows`` (not base64); ``b""`` for no rows."""
        n = len(rows)
        if n == 0:
            return b""
        if isinstance(rows, PgBinaryRows):  # binary COPY rows (soxsvo.tap.binary_copy)
            return transcode(self.specs, self.binary2, rows)
        rec = np.empty(n, dtype=self._dtype)
        var_pieces: list[list[bytes]] = []
        null_flags = np.zeros((n, len(self.specs)), bool) if self.binary2 else None
        # One C-level transpose of the batch instead of a pass per column.
        for i, (spec, values) in enumerate(zip(self.specs, zip(*rows, strict=True), strict=True)):
            name = f"c{i}"
            if spec.is_string:
                pieces, counts, mask = encode_strings(spec, values)
                rec[name] = counts
                var_pieces.append(pieces)
            elif spec.count is None:
                pieces, counts, mask = variable_arrays(spec, values)
                rec[name] = counts
                var_pieces.append(pieces)
            elif spec.kind == "boolean":
                rec[name], mask = boolean_array(values)
            else:
                rec[name], mask = number_array(spec, values)
            if mask is not None and null_flags is not None:
                null_flags[:, i] = mask
        if null_flags is not None:
            rec["nulls"] = np.packbits(null_flags, axis=1)  # first column = MSB
        if not var_pieces:
            return rec.tobytes()
        return self._interleave(rec, var_pieces)

    def _interleave(self, rec: np.ndarray, var_pieces: list[list[bytes]]) -> bytes:
        """Join fixed runs and variable data row by row in one ``bytes.join``."""
        n = len(rec)
        raw = rec.view(np.uint8).reshape(n, self._dtype.itemsize)
        bounds = [0, *self._run_ends, self._dtype.itemsize]
        runs = []
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            if end > start:
                # a void view's tolist() gives one bytes per row, NULs kept
                runs.append(np.ascontiguousarray(raw[:, start:end]).view(f"V{end - start}")
                            .ravel().tolist())
            else:
                runs.append(None)
        per_row = 2 * len(var_pieces) + 1
        pieces: list = [b""] * (n * per_row)
        for k, run in enumerate(runs):
            if run is not None:
                pieces[2 * k::per_row] = run
        for k, var in enumerate(var_pieces):
            pieces[2 * k + 1::per_row] = var
        return b"".join(pieces)


class Base64Stream:
    """Base64 of a byte stream fed in arbitrary pieces.

    Only whole 3-byte groups are encoded per `feed`, the rest is carried
    over, so the concatenated output equals the base64 of the whole stream.
    """

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> bytes:
        """Base64 text (ASCII bytes, newline-terminated) of the complete groups so far."""
        if self._rest:
            data = self._rest + data
        cut = len(data) - len(data) % 3
        self._rest = data[cut:]
        if cut == 0:
            return b""
        # pybase64 (SIMD) encodes ~50 times faster than binascii: 5 ms per 86 MiB, not 0.25 s.
        return pybase64.b64encode(memoryview(data)[:cut]) + b"\n"

    def finish(self) -> bytes:
        """Base64 of the carried-over tail, with padding."""
        rest, self._rest = self._rest, b""
        return pybase64.b64encode(rest) + b"\n" if rest else b""
