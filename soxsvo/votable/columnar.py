"""BINARY / BINARY2 rows from Arrow record batches, without a Python object per value.

The tuple path (:class:`soxsvo.votable.binary.BinaryEncoder` fed psycopg rows) spends most of
its time building and transposing Python tuples. A query whose columns are all scalar numbers,
booleans or plain strings can instead arrive as Arrow columns (PostgreSQL ``COPY ... CSV``
parsed by pyarrow, see :mod:`soxsvo.tap.columnar`): here every column is a numpy array and the
rows are assembled by scattering fixed parts and string bytes into one output buffer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from soxsvo.votable.fields import INT_NULLS, ColumnSpec

__all__ = ["ARROW_TYPES", "arrow_type", "encode_record_batch"]

#: Arrow type of each VOTable datatype this path handles (scalars; char as a string).
ARROW_TYPES = {
    "double": pa.float64(), "float": pa.float32(), "long": pa.int64(), "int": pa.int32(),
    "short": pa.int16(), "boolean": pa.bool_(), "char": pa.string(),
}
#: char xtypes whose values are plain text (timestamps need reformatting: tuple path).
_PLAIN_CHAR_XTYPES = {None, "adql:REGION"}


def arrow_type(spec: ColumnSpec) -> pa.DataType | None:
    """The Arrow type of a column the columnar path can encode, else None."""
    meta = spec.meta
    if meta.datatype == "char":
        return pa.string() if spec.kind == "char" and meta.xtype in _PLAIN_CHAR_XTYPES else None
    if spec.count != 1 or meta.arraysize is not None or meta.xtype is not None:
        return None
    return ARROW_TYPES.get(meta.datatype)


def _fixed(spec: ColumnSpec, column: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    mask = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
    if spec.kind == "boolean":
        flags = column.fill_null(False).to_numpy(zero_copy_only=False)
        out = np.where(flags, ord("T"), ord("F")).astype(np.uint8)
        if mask is not None:
            out[mask] = ord("?")
        return out, mask
    if mask is not None:
        is_int = pa.types.is_integer(column.type)
        fill = INT_NULLS[spec.meta.datatype] if is_int else float("nan")
        column = column.fill_null(pa.scalar(fill, column.type))
    return column.to_numpy(zero_copy_only=False), mask


def _string(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """(bytes, lengths, null flags) of a string column, None when not plain ASCII."""
    _, offsets_buf, data_buf = column.buffers()
    n = len(column)
    offsets = np.frombuffer(offsets_buf, np.int32, n + 1, column.offset * 4).astype(np.int64)
    lengths = np.diff(offsets)
    data = (np.frombuffer(data_buf, np.uint8, offsets[-1] - offsets[0], offsets[0])
            if data_buf is not None and offsets[-1] > offsets[0] else np.empty(0, np.uint8))
    mask = None
    if column.null_count:
        mask = column.is_null().to_numpy(zero_copy_only=False)
        if lengths[mask].any():
            return None
    if data.size and data.max() >= 128:
        return None  # VOTable char is ASCII: the tuple path replaces other characters
    return data, lengths, mask


def _python_strings(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    values = column.to_pylist()
    mask = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
    pieces = [b"" if v is None else v.encode("ascii", "replace") for v in values]
    lengths = np.fromiter(map(len, pieces), np.int64, len(pieces))
    return np.frombuffer(b"".join(pieces), np.uint8), lengths, mask


def encode_record_batch(specs: Sequence[ColumnSpec], dtype: np.dtype, run_ends: list[int],
                        binary2: bool, batch: pa.RecordBatch) -> bytes:
    """BINARY(2) bytes of ``batch``; ``dtype`` and ``run_ends`` as BinaryEncoder lays rows out.

    Variable columns are strings only (``arrow_type`` admits no arrays).
    """
    n = batch.num_rows
    rec = np.empty(n, dtype=dtype)
    null_flags = np.zeros((n, len(specs)), bool) if binary2 else None
    strings: list[tuple[np.ndarray, np.ndarray]] = []
    for i, spec in enumerate(specs):
        column = batch.column(i)
        name = f"c{i}"
        if spec.is_variable:
            parts = _string(column) or _python_strings(column)
            data, lengths, mask = parts
            rec[name] = lengths
            strings.append((data, lengths))
        else:
            rec[name], mask = _fixed(spec, column)
        if mask is not None and null_flags is not None:
            null_flags[:, i] = mask
    if null_flags is not None:
        rec["nulls"] = np.packbits(null_flags, axis=1)
    if not strings:
        return rec.tobytes()
    return _scatter(rec, dtype.itemsize, run_ends, strings)


def _scatter(rec: np.ndarray, fixed_size: int, run_ends: list[int],
             strings: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Rows = fixed run, string bytes, fixed run, ...: place every part with numpy.

    String bytes are scattered to their computed positions; every other byte of the output
    is fixed data, in the same order as the packed records, so one masked assignment fills it.
    """
    n = len(rec)
    lengths = np.stack([s[1] for s in strings])  # (strings, n)
    row_sizes = fixed_size + lengths.sum(axis=0)
    row_start = np.zeros(n, np.int64)
    np.cumsum(row_sizes[:-1], out=row_start[1:])
    out = np.empty(int(row_sizes.sum()), np.uint8)
    is_string = np.zeros(len(out), bool)
    before = np.zeros(n, np.int64)  # string bytes of this row before the current string
    for end, (data, size) in zip(run_ends, strings, strict=True):
        if data.size:
            src = np.zeros(n, np.int64)
            np.cumsum(size[:-1], out=src[1:])
            where = np.repeat(row_start + end + before - src, size) + np.arange(data.size)
            out[where] = data
            is_string[where] = True
        before += size
    out[~is_string] = rec.view(np.uint8)
    return out.tobytes()
