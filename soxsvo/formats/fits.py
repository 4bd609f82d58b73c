"""FITS binary table writer with flat memory.

A BINTABLE header must state NAXIS2 (rows) and PCOUNT (heap size) before
the data, which a stream only knows at its end.  The rows are therefore
encoded batch by batch into two `tempfile.SpooledTemporaryFile` (main table
and heap; in memory up to 1 MiB, then on disk), and header + both files are
emitted once the cursor is exhausted.  The empty primary HDU goes out first.

Strings (char, unicodeChar, timestamps) and variable-length arrays use
``1PA(max)`` / ``1PD(max)`` heap descriptors, so no width has to be guessed
and nothing is truncated; FITS text is ASCII, other characters become
``?``.  Nulls: TNULLn sentinels for integers, NaN for floats, 0 for
logicals, empty (zero-length) strings and arrays.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter

import numpy as np

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.binary import boolean_array, encode_strings, number_array, variable_arrays
from soxsvo.formats.fields import INT_NULLS, ColumnSpec, column_specs
from soxsvo.formats.info import Info, OverflowSource, resolve_overflow
from soxsvo.formats.writers import Batches, Writer

__all__ = ["FitsWriter"]

_BLOCK = 2880
_SPOOL_BYTES = 1 << 20
_COPY_BYTES = 1 << 20
_TFORM = {"unsignedByte": "B", "short": "I", "int": "J", "long": "K", "float": "E",
          "double": "D", "floatComplex": "C", "doubleComplex": "M", "boolean": "L"}


def _ascii(text: str) -> str:
    """Printable ASCII for header values (FITS headers allow nothing else)."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class _TableSpooler:
    """Encodes batches into main-table and heap spool files."""

    def __init__(self, specs: Sequence[ColumnSpec]) -> None:
        self.specs = specs
        fields = []
        for i, spec in enumerate(specs):
            if spec.is_variable:
                fields.append((f"c{i}", ">i4", (2,)))  # (count, heap offset)
            elif spec.kind == "boolean":
                fields.append((f"c{i}", "u1"))
            else:
                fields.append((f"c{i}", spec.dtype, () if spec.count == 1 else (spec.count,)))
        self.dtype = np.dtype(fields)
        # closed by FitsWriter.stream's finally: they outlive this constructor
        self.main = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self.heap = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self.rows = 0
        self.heap_size = 0
        self.max_counts = [0] * len(specs)

    def add(self, rows: Sequence[tuple]) -> None:
        n = len(rows)
        if n == 0:
            return
        rec = np.empty(n, self.dtype)
        for i, spec in enumerate(self.specs):
            values = list(map(itemgetter(i), rows))
            name = f"c{i}"
            if spec.is_variable:
                if spec.is_string:
                    pieces, counts, _ = encode_strings(spec, values)
                    if spec.kind == "unicodeChar":
                        pieces = [p.decode("utf_16_be").encode("ascii", "replace")
                                  for p in pieces]
                        counts = np.fromiter(map(len, pieces), np.uint32, n)
                    sizes = counts.astype(np.int64)
                else:
                    pieces, counts, _ = variable_arrays(spec, values)
                    sizes = counts.astype(np.int64) * spec.dtype.itemsize
                data = b"".join(pieces)
                offsets = self.heap_size + np.concatenate(([0], np.cumsum(sizes)[:-1]))
                if offsets[-1] + sizes[-1] >= 2**31:
                    raise ValueError("FITS heap larger than 2 GiB: use a smaller MAXREC")
                rec[name][:, 0] = counts
                rec[name][:, 1] = offsets
                self.heap.write(data)
                self.heap_size += len(data)
                self.max_counts[i] = max(self.max_counts[i], int(counts.max()))
            elif spec.kind == "boolean":
                flags, _ = boolean_array(values)
                rec[name] = np.where(flags == ord("?"), 0, flags)  # FITS null logical
            else:
                rec[name], _ = number_array(spec, values)
        self.main.write(rec.tobytes())
        self.rows += n

    def header(self, table_name: str, infos: Sequence[Info], overflow: bool) -> bytes:
        from astropy.io import fits  # import cost only when FITS is asked for

        header = fits.Header()
        header["XTENSION"] = "BINTABLE"
        header["BITPIX"] = 8
        header["NAXIS"] = 2
        header["NAXIS1"] = self.dtype.itemsize
        header["NAXIS2"] = self.rows
        header["PCOUNT"] = self.heap_size
        header["GCOUNT"] = 1
        header["TFIELDS"] = len(self.specs)
        for k, spec in enumerate(self.specs, start=1):
            meta = spec.meta
            header[f"TTYPE{k}"] = _ascii(meta.name)
            if spec.is_string:
                tform = f"1PA({self.max_counts[k - 1]})"
            elif spec.is_variable:
                tform = f"1P{_TFORM[meta.datatype]}({self.max_counts[k - 1]})"
            else:
                tform = f"{spec.count}{_TFORM[meta.datatype]}"
            header[f"TFORM{k}"] = tform
            if meta.datatype in INT_NULLS and not spec.is_variable:
                header[f"TNULL{k}"] = INT_NULLS[meta.datatype]
            # TUCDn, TUTYPn, TCOMMn: the STILTS/TOPCAT conventions for VO metadata
            for key, value in (("TUNIT", meta.unit), ("TUCD", meta.ucd),
                               ("TUTYP", meta.utype), ("TXTYP", meta.xtype),
                               ("TCOMM", meta.description)):
                if value:
                    header[f"{key}{k}"] = _ascii(value)
        header["EXTNAME"] = _ascii(table_name)
        header["QRYSTAT"] = ("OVERFLOW" if overflow else "OK", "DALI QUERY_STATUS")
        for info in infos:
            if len(info.name) <= 8 and info.name.isalnum() and info.name.isascii():
                header[info.name.upper()] = _ascii(info.value)
            else:
                header.add_comment(_ascii(f"{info.name}: {info.value}"))
        return header.tostring().encode("ascii")


def _primary_hdu() -> bytes:
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
             "NAXIS   =                    0", "EXTEND  =                    T", "END"]
    return "".join(c.ljust(80) for c in cards).ljust(_BLOCK).encode("ascii")


class FitsWriter(Writer):
    """FITS file: empty primary HDU plus one BINTABLE extension."""

    name = "FITS binary table"
    mime_type = "application/fits"
    aliases = ("fits", "application/x-fits-bintable")
    file_extension = "fits"

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
        yield _primary_hdu()
        spool = _TableSpooler(specs)
        try:
            for batch in batches:
                spool.add(batch)
            yield spool.header(table_name, (*infos, *resource_infos),
                               resolve_overflow(overflow))
            size = 0
            for part in (spool.main, spool.heap):
                part.seek(0)
                while chunk := part.read(_COPY_BYTES):
                    size += len(chunk)
                    yield chunk
            if size % _BLOCK:
                yield bytes(_BLOCK - size % _BLOCK)
        finally:
            spool.main.close()
            spool.heap.close()
