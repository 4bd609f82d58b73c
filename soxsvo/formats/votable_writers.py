"""VOTable writers: BINARY2 (the default), BINARY and TABLEDATA."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.binary import Base64Stream, BinaryEncoder
from soxsvo.formats.fields import ColumnSpec, column_specs, text_value
from soxsvo.formats.info import Info, OverflowSource, resolve_overflow
from soxsvo.formats.votable_xml import document_head, escape, table_tail
from soxsvo.formats.writers import Batches, Writer

__all__ = ["Binary2Writer", "BinaryWriter", "TabledataWriter"]

VOTABLE_MIME = "application/x-votable+xml"


class _VOTableWriter(Writer):
    file_extension = "vot"
    #: Opening and closing tags of the serialisation inside DATA.
    _open: str
    _close: str
    #: Whether integer FIELDs declare a VALUES null sentinel.
    _int_null = False

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
        head = document_head(specs, infos=infos, resource_infos=resource_infos,
                             table_name=table_name, int_null=self._int_null)
        yield (head + f"<DATA>{self._open}\n").encode("utf-8")
        yield from self._body(specs, batches)
        tail = f"{self._close}</DATA>\n" + table_tail(overflow=resolve_overflow(overflow))
        yield tail.encode("utf-8")

    def _body(self, specs: Sequence[ColumnSpec], batches: Batches) -> Iterator[bytes]:
        raise NotImplementedError


class Binary2Writer(_VOTableWriter):
    """VOTable 1.4 BINARY2: base64 rows each led by a null-flag bitmap (the default)."""

    name = "VOTable BINARY2"
    mime_type = f"{VOTABLE_MIME};serialization=BINARY2"
    aliases = (VOTABLE_MIME, "votable", "votable/b2", "text/xml", "application/xml")
    _open = '<BINARY2><STREAM encoding="base64">'
    _close = "</STREAM></BINARY2>"
    _binary2 = True
    #: Batches may be binary COPY rows (see soxsvo.formats.pgbinary).
    accepts_pg_binary = True

    def _body(self, specs: Sequence[ColumnSpec], batches: Batches) -> Iterator[bytes]:
        encoder = BinaryEncoder(specs, binary2=self._binary2)
        b64 = Base64Stream()
        for batch in batches:
            chunk = b64.feed(encoder.encode(batch))
            if chunk:
                yield chunk
        last = b64.finish()
        if last:
            yield last


class BinaryWriter(Binary2Writer):
    """VOTable BINARY: no null flags; NaN, ``?``, empty strings and VALUES null sentinels.

    An integer equal to its type's sentinel (e.g. -2**63 for long) reads
    back as null: use BINARY2 if that matters.
    """

    name = "VOTable BINARY"
    mime_type = f"{VOTABLE_MIME};serialization=BINARY"
    aliases = ("votable/b",)
    _open = '<BINARY><STREAM encoding="base64">'
    _close = "</STREAM></BINARY>"
    _binary2 = False
    _int_null = True


class TabledataWriter(_VOTableWriter):
    """VOTable TABLEDATA: plain XML cells; nulls are empty cells.

    An empty string and a null string are both ``<TD/>``: readers see null.
    """

    name = "VOTable TABLEDATA"
    mime_type = f"{VOTABLE_MIME};serialization=TABLEDATA"
    aliases = ("votable/td",)
    _open = "<TABLEDATA>"
    _close = "</TABLEDATA>"

    def _body(self, specs: Sequence[ColumnSpec], batches: Batches) -> Iterator[bytes]:
        # An empty cell is not a valid fixed-size float array: null points are NaN NaN.
        null_cells = ["<TD>" + " ".join(["NaN"] * s.count) + "</TD>"
                      if s.is_array and s.count and s.dtype.kind == "f" else "<TD/>"
                      for s in specs]
        for batch in batches:
            lines = []
            for row in batch:
                cells = []
                for spec, value, null in zip(specs, row, null_cells, strict=True):
                    if value is None:
                        cells.append(null)
                        continue
                    text = text_value(spec, value)
                    if text:
                        if spec.kind == "char":
                            # same ASCII rule as the binary serialisations
                            text = text.encode("ascii", "replace").decode("ascii")
                        cells.append(f"<TD>{escape(text)}</TD>")
                    else:
                        cells.append("<TD/>")
                lines.append(f"<TR>{''.join(cells)}</TR>\n")
            if lines:
                yield "".join(lines).encode("utf-8")
