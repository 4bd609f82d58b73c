"""The one interface every output format implements.

A `Writer` turns column metadata and an iterable of row batches into an
iterator of ``bytes`` chunks: the head goes out before the first batch is
read, one chunk per batch follows, the tail (with the overflow status) comes
after the last batch.  Writers hold no per-request state and are shared.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.info import Info, OverflowSource

__all__ = ["Batches", "Writer"]

#: What writers consume: batches of row tuples, e.g. ``iter(lambda: cur.fetchmany(n), [])``.
Batches = Iterable[Sequence[tuple]]


class Writer(ABC):
    """Streaming serialiser of a query result in one format.

    Attributes
    ----------
    name : str
        Short human name (``"VOTable BINARY2"``).
    mime_type : str
        The canonical MIME type, used as HTTP Content-Type and listed in TAP
        capabilities.
    aliases : tuple of str
        Other RESPONSEFORMAT values selecting this writer (compared
        case-insensitively).
    file_extension : str
        Suggested file name extension, without dot.
    accepts_pg_binary : bool
        True when batches may also be :class:`soxsvo.formats.pgbinary.PgBinaryRows` (blocks of
        PostgreSQL binary COPY rows: the fast path of scalar results,
        :mod:`soxsvo.tap.binary_copy`); otherwise they are row sequences.
    """

    name: ClassVar[str]
    mime_type: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    file_extension: ClassVar[str]
    accepts_pg_binary: ClassVar[bool] = False

    @abstractmethod
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
        """Serialise a result as a stream of bytes chunks.

        Parameters
        ----------
        columns : sequence of ColumnMeta
            Result columns, in row order.
        batches : iterable of sequences of tuples
            Rows in batches, as a server-side cursor's ``fetchmany`` returns
            them; consumed lazily, once.
        infos : iterable of Info
            Document-level INFOs (service, software...).
        resource_infos : iterable of Info
            INFOs of the results RESOURCE after ``QUERY_STATUS`` (query,
            request date; see `~soxsvo.formats.info.query_infos`).
        overflow : bool, QueryStatus or callable
            Whether MAXREC truncated the result; evaluated only after the last
            batch was consumed, so the query runner can set it late.
        table_name : str
            Name of the result table.

        Yields
        ------
        bytes
            The head before any batch is read, then roughly one chunk per batch.
        """

    @property
    def accepted_values(self) -> tuple[str, ...]:
        """The MIME type followed by the aliases: what TAP capabilities list."""
        return (self.mime_type, *self.aliases)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.mime_type}>"
