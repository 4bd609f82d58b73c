"""Parquet writer with the VOTable metadata of the IVOA VOParquet note.

The file key-value metadata carries ``IVOA.VOTable-Parquet.version`` (1.0)
and ``IVOA.VOTable-Parquet.content``: a VOTable document whose TABLE has the
FIELDs and a ``<PARQUET type="Parquet-local-XML"/>`` element instead of
DATA (as astropy's ``parquet.votable`` reader expects).  Each batch becomes
one row group, written through a sink that hands bytes on immediately.
Timestamps are ISO 8601 strings, matching their FIELD (char, xtype timestamp).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.fields import ColumnSpec, column_specs, format_timestamps
from soxsvo.formats.info import Info, OverflowSource, resolve_overflow
from soxsvo.formats.votable_xml import document_head
from soxsvo.formats.writers import Batches, Writer

__all__ = ["ParquetWriter"]

_ARROW_TYPES = {"unsignedByte": "uint8", "short": "int16", "int": "int32", "long": "int64",
                "float": "float32", "double": "float64", "boolean": "bool_"}


class _ChunkSink:
    """Write-only file object collecting what pyarrow writes until `take`."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pos = 0
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)
        self._parts.append(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _arrow_type(spec: ColumnSpec):
    import pyarrow as pa

    if spec.is_string:
        return pa.string()
    if spec.meta.datatype in ("floatComplex", "doubleComplex"):
        raise ValueError(f"column {spec.name}: Parquet has no complex type")
    base = getattr(pa, _ARROW_TYPES[spec.meta.datatype])()
    if spec.count is None:
        return pa.list_(base)
    if spec.count != 1:
        return pa.list_(base, spec.count)
    return base


def votable_header(specs: Sequence[ColumnSpec], table_name: str,
                   resource_infos: Iterable[Info]) -> bytes:
    """The ``IVOA.VOTable-Parquet.content`` document."""
    head = document_head(specs, resource_infos=resource_infos, table_name=table_name)
    return (head + '<PARQUET type="Parquet-local-XML"/>\n</TABLE>\n</RESOURCE>\n'
            "</VOTABLE>\n").encode("utf-8")


class ParquetWriter(Writer):
    """Apache Parquet with embedded VOTable metadata (IVOA VOParquet)."""

    name = "Parquet"
    mime_type = "application/vnd.apache.parquet"
    aliases = ("parquet", "application/x-parquet")
    file_extension = "parquet"

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
        import pyarrow as pa
        import pyarrow.parquet as pq

        specs = column_specs(columns)
        types = [_arrow_type(s) for s in specs]
        schema = pa.schema(
            [pa.field(s.name, t) for s, t in zip(specs, types, strict=True)],
            metadata={
                b"IVOA.VOTable-Parquet.version": b"1.0",
                b"IVOA.VOTable-Parquet.content": votable_header(
                    specs, table_name, (*infos, *resource_infos)),
            },
        )
        sink = _ChunkSink()
        writer = pq.ParquetWriter(sink, schema, compression="zstd")
        try:
            yield sink.take()  # the "PAR1" magic: a response starts before any row is read
            for batch in batches:
                if not batch:
                    continue
                arrays = []
                for i, (spec, typ) in enumerate(zip(specs, types, strict=True)):
                    values = list(map(itemgetter(i), batch))
                    if spec.kind == "timestamp":
                        values = [None if v is None else t.decode("ascii")
                                  for v, t in zip(values, format_timestamps(values), strict=True)]
                    elif spec.is_string:
                        values = [v if v is None or isinstance(v, str) else str(v)
                                  for v in values]
                    arrays.append(pa.array(values, type=typ, from_pandas=False))
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                chunk = sink.take()
                if chunk:
                    yield chunk
        finally:
            writer.close()
        # Parquet's footer has no query status; evaluated for symmetry only.
        resolve_overflow(overflow)
        yield sink.take()
