"""RESPONSEFORMAT values, the writers they select, and the one-call `write`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.errors import UnknownFormatError
from soxsvo.formats.fits import FitsWriter
from soxsvo.formats.info import Info, OverflowSource
from soxsvo.formats.jsonfmt import JsonWriter
from soxsvo.formats.parquet import ParquetWriter
from soxsvo.formats.text import CsvWriter, TsvWriter
from soxsvo.formats.votable_writers import Binary2Writer, BinaryWriter, TabledataWriter
from soxsvo.formats.writers import Batches, Writer

__all__ = ["DEFAULT_WRITER", "FORMATS", "WRITERS", "normalise_format", "resolve_format", "write"]

#: All writers, the default (VOTable BINARY2) first.
WRITERS: tuple[Writer, ...] = (
    Binary2Writer(), BinaryWriter(), TabledataWriter(), CsvWriter(), TsvWriter(),
    FitsWriter(), JsonWriter(), ParquetWriter(),
)
DEFAULT_WRITER: Writer = WRITERS[0]


def normalise_format(value: str) -> str:
    """Lower-case ``value`` and drop blanks around ``;`` and ``=`` of MIME parameters."""
    parts = [p.strip() for p in value.strip().lower().split(";")]
    params = ["=".join(x.strip() for x in p.split("=", 1)) for p in parts[1:] if p]
    return ";".join([parts[0], *params])


def _build() -> dict[str, Writer]:
    formats: dict[str, Writer] = {}
    for writer in WRITERS:
        for value in writer.accepted_values:
            key = normalise_format(value)
            if key in formats:
                raise RuntimeError(f"format {value!r} claimed twice")
            formats[key] = writer
    return formats


#: Normalised (lower-case) RESPONSEFORMAT value -> writer.
FORMATS: dict[str, Writer] = _build()


def resolve_format(value: str | None) -> Writer:
    """The writer for a RESPONSEFORMAT value (case-insensitive); None/empty -> BINARY2.

    Raises
    ------
    UnknownFormatError
        For any other value; its message lists the accepted values.
    """
    if value is None or not value.strip():
        return DEFAULT_WRITER
    try:
        return FORMATS[normalise_format(value)]
    except KeyError:
        accepted = [v for w in WRITERS for v in w.accepted_values]
        raise UnknownFormatError(value, accepted) from None


def write(
    fmt: str | Writer | None,
    columns: Sequence[ColumnMeta],
    batches: Batches,
    *,
    infos: Iterable[Info] = (),
    resource_infos: Iterable[Info] = (),
    overflow: OverflowSource = False,
    table_name: str = "result",
) -> Iterator[bytes]:
    """Serialise a query result in format ``fmt`` as a stream of bytes chunks.

    Parameters
    ----------
    fmt : str, Writer or None
        A RESPONSEFORMAT value (see `FORMATS`) or a writer; None means BINARY2.
    columns, batches, infos, resource_infos, overflow, table_name
        As in `Writer.stream`.

    Returns
    -------
    iterator of bytes

    Raises
    ------
    UnknownFormatError
        Immediately (not on first iteration) for an unknown ``fmt``.
    """
    writer = fmt if isinstance(fmt, Writer) else resolve_format(fmt)
    return writer.stream(columns, batches, infos=infos, resource_infos=resource_infos,
                         overflow=overflow, table_name=table_name)
