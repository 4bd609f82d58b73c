"""Parquet writer with the VOTable metadata embedded (IVOA Parquet-VOTable convention)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from soxsvo.db.metadata import ColumnMeta
from soxsvo.votable.fields import column_specs, format_timestamp
from soxsvo.votable.info import Info, OverflowSource, resolve_overflow
from soxsvo.votable.votable_xml import document_head, table_tail
from soxsvo.votable.writers import Batches, Writer

_ARROW = {"double": pa.float64(), "float": pa.float32(), "long": pa.int64(),
          "int": pa.int32(), "short": pa.int16(), "unsignedByte": pa.uint8(),
          "boolean": pa.bool_()}
_CHUNK = 1 << 20


def _arrow_type(spec):
    if spec.is_string:
        return pa.string()
    base = _ARROW.get(spec.meta.datatype, pa.float64())
    return pa.list_(base) if spec.is_array else base


class ParquetWriter(Writer):
    """Apache Parquet, one row group per batch, VOTable FIELDs in the file's key-value
    metadata (``IVOA.VOTable-Parquet.content``) so units and UCDs travel with the data."""

    name = "Parquet"
    mime_type = "application/vnd.apache.parquet"
    aliases = ("parquet", "application/x-parquet")
    file_extension = "parquet"

    def stream(self, columns: Sequence[ColumnMeta], batches: Batches, *,
               infos: Iterable[Info] = (), resource_infos: Iterable[Info] = (),
               overflow: OverflowSource = False, table_name: str = "result") -> Iterator[bytes]:
        specs = column_specs(columns)
        schema = pa.schema([pa.field(s.name, _arrow_type(s)) for s in specs])
        with tempfile.TemporaryFile() as spool:
            with pq.ParquetWriter(spool, schema) as writer:
                for batch in batches:
                    if not batch:
                        continue
                    arrays = []
                    for index, spec in enumerate(specs):
                        values = [row[index] for row in batch]
                        if spec.kind == "timestamp":
                            values = [None if v is None else format_timestamp(v) for v in values]
                        elif spec.is_string:
                            values = [None if v is None else str(v) for v in values]
                        arrays.append(pa.array(values, type=schema.field(index).type))
                    writer.write_batch(pa.record_batch(arrays, schema=schema))
                votable = document_head(specs, resource_infos=resource_infos,
                                        table_name=table_name)
                votable += table_tail(overflow=resolve_overflow(overflow))
                writer.add_key_value_metadata({"IVOA.VOTable-Parquet.version": "1.0",
                                               "IVOA.VOTable-Parquet.content": votable})
            spool.seek(0)
            while chunk := spool.read(_CHUNK):
                yield chunk
