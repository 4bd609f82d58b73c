"""The registry of survey adapters and reading files or request bodies through them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from soxsvo.marshall.ingest.atlas import ATLASSource
from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource
from soxsvo.marshall.ingest.gaia import GaiaSource
from soxsvo.marshall.ingest.gcn import GCNSource
from soxsvo.marshall.ingest.lsst import LSSTSource
from soxsvo.marshall.ingest.model import Detection, Event
from soxsvo.marshall.ingest.tns import TNSSource
from soxsvo.marshall.ingest.ztf import ZTFSource

#: Every adapter, by the name ``--source`` takes. A new survey is one more entry.
SOURCES: dict[str, AlertSource] = {s.name: s for s in (
    ZTFSource(), LSSTSource(), TNSSource(), ATLASSource(), GaiaSource(), GCNSource())}

#: File name endings the folder walk picks up.
ALERT_SUFFIXES = (".avro", ".csv", ".json", ".txt", ".dat")


def source_named(name: str) -> AlertSource:
    """The adapter called ``name``."""
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown alert source {name!r} (one of "
                         f"{', '.join(SOURCES)})") from None


def detect_source(data: bytes, origin: str) -> AlertSource:
    """The adapter whose format ``data`` is in, or :class:`AlertFormatError`."""
    filename = Path(origin).name
    for source in SOURCES.values():
        if source.sniff(data, filename):
            return source
    raise AlertFormatError(origin, "format not recognised (give --source: "
                                   f"{', '.join(SOURCES)})")


def read_alerts(data: bytes, origin: str, source: str | None = None) -> list[Detection | Event]:
    """Everything in one file or request body, read completely (or nothing, on error)."""
    adapter = source_named(source) if source else detect_source(data, origin)
    return list(adapter.read(data, origin))


def alert_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the alert files inside the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in ALERT_SUFFIXES)
        else:
            yield path
