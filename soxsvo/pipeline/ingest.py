"""``soxsvo ingest PATH...``: register many Phase 3 products, checking them in parallel.

Checksumming, validation and header reading (:func:`~soxsvo.pipeline.register.prepare_product`,
~10 ms for a real-size spectrum, all CPU) run in a pool of worker processes; the database
writes (:func:`~soxsvo.pipeline.register.commit_prepared`, one transaction per file) run in
the calling process, one after the other, as results arrive. Registration holds a
database-wide lock for a few milliseconds anyway, so more writers would only queue.

Examples
--------
>>> summary = ingest_paths(conn_factory, [Path("reduced/")], config)  # doctest: +SKIP
>>> summary.exit_code                                                  # doctest: +SKIP
0
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from soxsvo.db import DatabaseError
from soxsvo.pipeline.register import (
    ArchiveConfig,
    PreparedProduct,
    Registration,
    RegistrationError,
    commit_prepared,
    prepare_product,
)

__all__ = ["IngestOutcome", "IngestSummary", "find_products", "ingest_paths"]

EXIT_OK, EXIT_REJECTED = 0, 2
#: Files handed to the pool ahead of the writer: enough to keep every worker busy, few enough
#: that a folder of 100,000 files does not sit in memory as futures.
_AHEAD_PER_WORKER = 8


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one file."""

    path: Path
    registration: Registration | None = None
    error: RegistrationError | None = None

    @property
    def status(self) -> str:
        """``registered``, ``already-registered`` or ``rejected``."""
        if self.registration is None:
            return "rejected"
        return "registered" if self.registration.created else "already-registered"

    @property
    def line(self) -> str:
        """One line for the command line (the first line of a rejection's reason)."""
        if self.registration is not None:
            return f"{self.path}: {self.registration.message}"
        reason = str(self.error).splitlines()
        detail = "; ".join(line.strip() for line in reason[1:] if line.strip())
        head = reason[0] if reason else "rejected"
        return f"{self.path}: rejected: {head}" + (f" {detail}" if detail else "")


@dataclass
class IngestSummary:
    """Counts of an ``ingest`` run."""

    outcomes: list[IngestOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Number of files with this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """0 if every file is registered (now or before), 2 if any was rejected."""
        return EXIT_REJECTED if self.count("rejected") else EXIT_OK

    @property
    def line(self) -> str:
        """The summary line."""
        return (f"{len(self.outcomes)} files: {self.count('registered')} registered, "
                f"{self.count('already-registered')} already registered, "
                f"{self.count('rejected')} rejected")


def find_products(paths: Iterable[Path]) -> list[Path]:
    """Files named on the command line, and every ``*.fits`` below the folders named.

    Names that do not exist are kept: they are reported as rejected, not silently skipped.
    Folders ``done/`` and ``rejected/`` of a watched directory are searched too (a user
    naming such a folder wants it ingested).
    """
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.fits") if p.is_file()))
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def _pool(workers: int) -> Executor:
    if workers <= 1:
        return ThreadPoolExecutor(max_workers=1)
    # fork: workers start in milliseconds with astropy already imported; they never touch
    # the parent's database connection.
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("fork"))


def _prepared(pool: Executor, files: list[Path], workers: int,
              validate: bool) -> Iterator[tuple[Path, Future]]:
    """Futures of :func:`prepare_product`, in file order, a bounded number ahead."""
    window = max(1, workers * _AHEAD_PER_WORKER)
    pending: list[tuple[Path, Future]] = []
    for path in files:
        pending.append((path, pool.submit(prepare_product, path, validate=validate)))
        if len(pending) >= window:
            yield pending.pop(0)
    yield from pending


def ingest_paths(connect: Callable[[], psycopg.Connection], paths: Iterable[Path],
                 config: ArchiveConfig, *, workers: int | None = None, validate: bool = True,
                 report: Callable[[IngestOutcome], None] | None = None) -> IngestSummary:
    """Register every product under ``paths``.

    Parameters
    ----------
    connect : callable
        Returns a new connection to the soxsvo database; called again after the connection
        is lost, so one database restart does not fail the rest of the run.
    paths : iterable of Path
        Files and folders (searched recursively for ``*.fits``).
    config : ArchiveConfig
        Archive store and defaults.
    workers : int, optional
        Processes that checksum and validate (default: the number of CPUs).
    validate : bool
        Apply the Phase 3 rules (default).
    report : callable, optional
        Called with each outcome as soon as it is known (the command prints it).

    Returns
    -------
    IngestSummary
        One outcome per file, in the order the files were found.
    """
    files = find_products(paths)
    workers = workers or os.cpu_count() or 1
    summary = IngestSummary()
    conn = connect()
    try:
        with _pool(min(workers, max(1, len(files)))) as pool:
            for path, future in _prepared(pool, files, workers, validate):
                outcome = _commit(future, conn, config, path)
                if outcome.error is not None and outcome.error.retryable and conn.closed:
                    conn = _reconnect(connect, conn)
                summary.outcomes.append(outcome)
                if report is not None:
                    report(outcome)
    finally:
        conn.close()
    return summary


def _reconnect(connect: Callable[[], psycopg.Connection],
               dead: psycopg.Connection) -> psycopg.Connection:
    """A new connection, or the dead one when the database is still away (the next files
    are then reported as not registered instead of aborting the run)."""
    try:
        return connect()
    except (psycopg.OperationalError, DatabaseError):
        return dead


def _commit(future: Future, conn: psycopg.Connection, config: ArchiveConfig,
            path: Path) -> IngestOutcome:
    try:
        prepared: PreparedProduct = future.result()
        if conn.closed:
            raise RegistrationError(f"{path.name}: no database connection, nothing registered",
                                    retryable=True)
        return IngestOutcome(path, registration=commit_prepared(conn, prepared, config))
    except RegistrationError as exc:
        return IngestOutcome(path, error=exc)
