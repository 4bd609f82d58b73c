"""FITS binary table writer with flat memory.

A FITS header states the row count (NAXIS2) and string widths before the data, neither of
which is known while rows stream. Batches are therefore spooled to a temporary file first
(memory holds one batch), then the header and the fixed-width rows are emitted.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from astropy.io import fits

from soxsvo.db.metadata import ColumnMeta
from soxsvo.votable.fields import ColumnSpec, column_specs, format_timestamp
from soxsvo.votable.info import Info, OverflowSource, resolve_overflow
from soxsvo.votable.writers import Batches, Writer

_BLOCK = 2880
_NUMERIC = {"double": ("D", ">f8"), "float": ("E", ">f4"), "long": ("K", ">i8"),
            "int": ("J", ">i4"), "short": ("I", ">i2"), "unsignedByte": ("B", "u1")}
_TNULL = {"K": -(2**63), "J": -(2**31), "I": -(2**15), "B": 255}


def _as_text(spec: ColumnSpec, value) -> bytes:
    if value is None:
        return b""
    if spec.kind == "timestamp":
        return format_timestamp(value).encode()
    return str(value).encode("utf-8")


def _spool(specs, batches, spool) -> tuple[int, list[int]]:
    """Pickle batches to ``spool``; return the row count and each column's width."""
    rows, widths = 0, [1] * len(specs)
    for batch in batches:
        if not batch:
            continue
        rows += len(batch)
        for index, spec in enumerate(specs):
            if spec.is_string:
                widths[index] = max(widths[index], *(len(_as_text(spec, r[index])) for r in batch))
            elif spec.is_array:
                widths[index] = max(widths[index], *(len(r[index] or ()) for r in batch))
        pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
    return rows, widths


def _formats(specs, widths) -> list[tuple[str, np.dtype, str]]:
    out = []
    for spec, width in zip(specs, widths, strict=True):
        if spec.is_string:
            out.append((f"{width}A", np.dtype(f"S{width}"), "A"))
        elif spec.kind == "boolean":
            out.append(("L", np.dtype("S1"), "L"))
        else:
            code, dtype = _NUMERIC.get(spec.meta.datatype, ("D", ">f8"))
            count = width if spec.is_array else 1
            shape = (count,) if count > 1 else ()
            out.append((f"{count if count > 1 else ''}{code}", np.dtype((dtype, shape)), code))
    return out


def _header(columns, specs, formats, rows: int) -> bytes:
    cols = []
    for meta, spec, (tform, _dtype, code) in zip(columns, specs, formats, strict=True):
        kwargs = {"name": meta.name, "format": tform, "unit": meta.unit}
        if code in _TNULL and not spec.is_array:
            kwargs["null"] = _TNULL[code]
        cols.append(fits.Column(**kwargs))
    header = fits.BinTableHDU.from_columns(cols, nrows=0).header
    header["NAXIS2"] = rows
    for number, meta in enumerate(columns, start=1):
        if meta.ucd:
            header[f"TUCD{number}"] = meta.ucd
        if meta.utype:
            header[f"TUTYP{number}"] = meta.utype
    return header.tostring().encode("ascii")


def _encode(batch, specs, formats) -> bytes:
    dtype = np.dtype([(f"c{i}", f[1]) for i, f in enumerate(formats)])
    records = np.zeros(len(batch), dtype=dtype)
    for index, (spec, (_tform, _dt, code)) in enumerate(zip(specs, formats, strict=True)):
        values = [row[index] for row in batch]
        field = f"c{index}"
        if spec.is_string:
            records[field] = [_as_text(spec, v) for v in values]
        elif code == "L":
            records[field] = [b"\0" if v is None else (b"T" if v else b"F") for v in values]
        elif spec.is_array:
            width = records[field].shape[1]
            filled = np.full((len(values), width), np.nan)
            for row, value in enumerate(values):
                if value:
                    filled[row, : len(value)] = [np.nan if v is None else v for v in value]
            records[field] = filled
        else:
            null = _TNULL.get(code, np.nan)
            records[field] = [null if v is None else v for v in values]
    return records.tobytes()


class FITSWriter(Writer):
    """FITS binary table (one BINTABLE extension after an empty primary HDU)."""

    name = "FITS binary table"
    mime_type = "application/fits"
    aliases = ("fits", "application/fits;content=table")
    file_extension = "fits"

    def stream(self, columns: Sequence[ColumnMeta], batches: Batches, *,
               infos: Iterable[Info] = (), resource_infos: Iterable[Info] = (),
               overflow: OverflowSource = False, table_name: str = "result") -> Iterator[bytes]:
        specs = column_specs(columns)
        with tempfile.TemporaryFile() as spool:
            rows, widths = _spool(specs, batches, spool)
            overflowed = resolve_overflow(overflow)
            formats = _formats(specs, widths)
            primary = fits.PrimaryHDU().header
            primary["OVERFLOW"] = (overflowed, "MAXREC truncated the result")
            yield primary.tostring().encode("ascii")
            yield _header(columns, specs, formats, rows)
            spool.seek(0)
            written = 0
            while written < rows:
                batch = pickle.load(spool)
                chunk = _encode(batch, specs, formats)
                written += len(batch)
                yield chunk
            size = sum(f[1].itemsize for f in formats) * rows
            if size % _BLOCK:
                yield b"\0" * (_BLOCK - size % _BLOCK)
