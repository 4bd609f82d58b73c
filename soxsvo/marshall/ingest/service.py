"""Ingest alerts: read files, folders or request bodies, then associate, record and add
context, batch by batch, each batch in one transaction.

A file is read completely before anything of it is stored; a file that cannot be read is
reported (naming it) and contributes nothing, while the other files are still ingested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from soxsvo.marshall.context.crossmatch import crossmatch_transients
from soxsvo.marshall.ingest.associate import associate
from soxsvo.marshall.ingest.base import AlertFormatError
from soxsvo.marshall.ingest.config import IngestConfig
from soxsvo.marshall.ingest.current_mag import update_current_magnitudes
from soxsvo.marshall.ingest.events import prepare_skymaps, store_events
from soxsvo.marshall.ingest.model import Detection, Event
from soxsvo.marshall.ingest.sources import alert_files, read_alerts


@dataclass
class AlertIngestSummary:
    """Counts of one ingestion run and the files it could not read."""

    files: int = 0
    alerts: int = 0
    duplicates: int = 0
    created: int = 0
    unmatched_reports: int = 0
    photometry: int = 0
    events: int = 0
    crossmatches: int = 0
    errors: list[str] = field(default_factory=list)
    new_transient_ids: list[int] = field(default_factory=list)

    @property
    def line(self) -> str:
        """One line for the command line."""
        text = (f"{self.files} files: {self.alerts} alerts ingested ({self.created} new "
                f"transients, {self.photometry} photometry points), {self.duplicates} already "
                f"known, {self.events} event notices")
        if self.unmatched_reports:
            text += f", {self.unmatched_reports} TNS reports matched no known transient"
        if self.errors:
            text += f"; {len(self.errors)} files rejected"
        return text

    @property
    def exit_code(self) -> int:
        return 2 if self.errors else 0

    def as_dict(self) -> dict:
        """The summary as JSON-ready data (the REST API's answer)."""
        return {"files": self.files, "alerts": self.alerts, "duplicates": self.duplicates,
                "new_transients": self.created, "unmatched_reports": self.unmatched_reports,
                "photometry": self.photometry, "events": self.events,
                "crossmatches": self.crossmatches, "errors": self.errors}


def ingest_items(conn: psycopg.Connection, items: list[Detection | Event],
                 config: IngestConfig, summary: AlertIngestSummary | None = None,
                 ) -> AlertIngestSummary:
    """Store one batch of detections and events in one transaction.

    Parameters
    ----------
    conn : psycopg.Connection
        The batch commits when this returns (unless the caller holds a transaction open,
        in which case it becomes part of it).
    items : list of Detection or Event
    config : IngestConfig
    summary : AlertIngestSummary, optional
        Counts are added to it (a new one is made if omitted).
    """
    summary = summary or AlertIngestSummary()
    detections = [i for i in items if isinstance(i, Detection)]
    events = [i for i in items if isinstance(i, Event)]
    credible = prepare_skymaps(events)
    with conn.transaction():
        if detections:
            result = associate(conn, detections, config.radius_arcsec)
            update_current_magnitudes(conn, result.touched_transient_ids,
                                      config.current_mag_window_days)
            summary.crossmatches += crossmatch_transients(
                conn, result.new_transient_ids, host_radius_arcsec=config.host_radius_arcsec,
                star_radius_arcsec=config.star_radius_arcsec, host_max_kpc=config.host_max_kpc)
            summary.alerts += result.alerts
            summary.duplicates += result.duplicates
            summary.created += result.created
            summary.unmatched_reports += result.unmatched_reports
            summary.photometry += result.photometry
            summary.new_transient_ids.extend(result.new_transient_ids)
        if events:
            stored = store_events(conn, events, credible)
            summary.events += stored
            summary.duplicates += len(events) - stored
    return summary


def ingest_bytes(conn: psycopg.Connection, data: bytes, origin: str, config: IngestConfig,
                 source: str | None = None) -> AlertIngestSummary:
    """Ingest one file's content or request body (all of it, or nothing on a format error).

    Raises
    ------
    AlertFormatError
        The data is not in a readable alert format; nothing was stored.
    """
    items = read_alerts(data, origin, source)
    summary = AlertIngestSummary(files=1)
    for start in range(0, max(len(items), 1), config.batch_alerts):
        try:
            ingest_items(conn, items[start:start + config.batch_alerts], config, summary)
        except psycopg.errors.DataError as exc:
            # Why here: a packet can be well-formed and still hold what PostgreSQL refuses
            # (a NUL in a string, a number beyond its column); the batch is rolled back.
            stored = f"; the {start} before it were stored" if start else ""
            raise AlertFormatError(
                f"{origin}: alerts {start + 1}-{min(start + config.batch_alerts, len(items))} "
                f"hold a value that cannot be stored ({exc.diag.message_primary}){stored}"
            ) from None
    return summary


def ingest_alert_paths(conn: psycopg.Connection, paths: Iterable[Path], config: IngestConfig,
                 source: str | None = None,
                 report: Callable[[str], None] | None = None) -> AlertIngestSummary:
    """Ingest alert files and folders, batching whole files up to ``config.batch_alerts``.

    A file that cannot be read or is not in the expected format is reported through
    ``report`` and in ``summary.errors``; nothing of it is stored. The next batch is read
    in a second thread while this one is stored: storing mostly waits for PostgreSQL (and
    for the ingest lock), so reading costs no wall time beside it.
    """
    summary = AlertIngestSummary()
    batches = _read_batches(paths, config.batch_alerts, source, summary, report)
    with ThreadPoolExecutor(max_workers=1) as reader:
        upcoming = reader.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = reader.submit(next, batches, None)
            ingest_items(conn, batch, config, summary)
    return summary


def _read_batches(paths: Iterable[Path], size: int, source: str | None,
                  summary: AlertIngestSummary, report: Callable[[str], None] | None
                  ) -> Iterator[list[Detection | Event]]:
    """Whole files' alerts in batches of at least ``size`` (the last one smaller)."""
    pending: list[Detection | Event] = []
    for path in alert_files(paths):
        summary.files += 1
        try:
            pending.extend(read_alerts(path.read_bytes(), str(path), source))
        except AlertFormatError as exc:
            summary.errors.append(str(exc))
        except OSError as exc:
            summary.errors.append(f"{path}: {exc.strerror or exc}")
        else:
            if len(pending) >= size:
                yield pending
                pending = []
            continue
        if report:
            report(summary.errors[-1])
    if pending:
        yield pending


def _ingest_share(conninfo: str, paths: list[str], config: IngestConfig,
                  source: str | None) -> AlertIngestSummary:
    with psycopg.connect(conninfo) as conn:
        return ingest_alert_paths(conn, [Path(p) for p in paths], config, source)


def ingest_alert_paths_parallel(conninfo: str, paths: Iterable[Path], config: IngestConfig,
                                source: str | None = None, workers: int = 2,
                                ) -> AlertIngestSummary:
    """:func:`ingest_alert_paths` with ``workers`` processes, each consuming a share of the files.

    Each process reads its files and stores them through its own connection; association is
    serialised by the ingest lock, so one process reads (CPU) while another stores. Files
    are dealt out in contiguous runs, so one object's alerts mostly stay in one process.
    """
    from concurrent.futures import ProcessPoolExecutor

    files = [str(p) for p in alert_files(paths)]
    if workers <= 1 or len(files) < 2:
        with psycopg.connect(conninfo) as conn:
            return ingest_alert_paths(conn, [Path(f) for f in files], config, source)
    size = -(-len(files) // workers)
    shares = [files[i:i + size] for i in range(0, len(files), size)]
    total = AlertIngestSummary()
    with ProcessPoolExecutor(max_workers=len(shares)) as pool:
        futures = [pool.submit(_ingest_share, conninfo, share, config, source)
                   for share in shares]
        for future in futures:
            part = future.result()
            for name in ("files", "alerts", "duplicates", "created", "unmatched_reports",
                         "photometry", "events", "crossmatches"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.errors.extend(part.errors)
            total.new_transient_ids.extend(part.new_transient_ids)
    return total
