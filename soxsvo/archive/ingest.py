"""``soxsvo ingest PATH...``: register many Phase 3 products, checking them in parallel.

Checksumming, validation and header mapping (:func:`~soxsvo.archive.prepare.prepare_product`,
a few ms for a real-size spectrum, all CPU) run in a pool of worker processes; the database
writes (:func:`~soxsvo.archive.register.commit_batch`: one transaction per batch of up to
64 files, one statement per file) run in the calling process, in file order.
Registration holds a database-wide lock anyway, so more writers would only queue. Before
the first file, store copies left by a registration killed before its commit are removed
(:func:`~soxsvo.archive.store.sweep_inflight`), and the checksums of files registered
already under the same names are looked up, so that re-ingesting a folder only checksums it.

Examples
--------
>>> summary = ingest_paths(conn_factory, [Path("reduced/")], config)  # doctest: +SKIP
>>> summary.exit_code                                                  # doctest: +SKIP
0
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from soxsvo.archive.register import (
    ArchiveConfig,
    PreparedProduct,
    Registration,
    RegistrationError,
    commit_batch,
    prepare_product,
)
from soxsvo.archive.store import sweep_inflight
from soxsvo.db import DatabaseError
from soxsvo.utils.process import die_with_parent

__all__ = ["ASSOCIATED_SUFFIXES", "IngestOutcome", "IngestSummary", "find_products",
           "ingest_paths", "is_associated_name", "registered_checksums"]

EXIT_OK, EXIT_REJECTED = 0, 2
#: Files handed to the pool ahead of the writer: enough to keep every worker busy, few enough
#: that a folder of 100,000 files does not sit in memory as futures.
_AHEAD_PER_WORKER = 8
#: Most products in one transaction: large enough that the commit's flush to disk is shared
#: by many products, small enough that a failed commit costs little work.
DEFAULT_BATCH = 64
#: Names of the associated files ``soxsvo package`` writes beside a product
#: (``<product stem><suffix>``): they enter the archive with the product naming them in
#: ``ASSONi``, never as products of their own.
ASSOCIATED_SUFFIXES = ("_SKYSUB.fits", "_SKYMODEL.fits", "_EXTRACTED_ORDERS.fits")


def is_associated_name(path: Path) -> bool:
    """True for the file names of associated files (:data:`ASSOCIATED_SUFFIXES`)."""
    return Path(path).name.upper().endswith(tuple(s.upper() for s in ASSOCIATED_SUFFIXES))


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
    orphans_removed: int = 0

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
    naming such a folder wants it ingested). Associated files (2D spectra, sky, per-order
    files: :func:`is_associated_name`) are skipped: they are stored with their product.
    """
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.fits")
                                if p.is_file() and not is_associated_name(p)))
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def _pool(workers: int) -> Executor:
    if workers <= 1:
        return ThreadPoolExecutor(max_workers=1)
    # fork: workers start in milliseconds with astropy already imported; they never touch
    # the parent's database connection.
    # They end with this process: killed, it left them waiting for ever. SIGKILL: they only
    # checksum and validate, and SIGTERM's SystemExit (the inherited handler) during a task
    # only became that task's result.
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent,
                               initargs=(os.getpid(), signal.SIGKILL))


def registered_checksums(conn: psycopg.Connection, files: Sequence[Path]) -> frozenset[str]:
    """SHA-256 of the products registered under the names of ``files``: a worker finding
    one of these checksums skips validation (registering the same bytes changes nothing).
    Looked up by name, so that the set stays as small as the run; a registered file under
    another name is still recognised, at commit, after its validation."""
    rows = conn.execute("SELECT sha256 FROM soxs.product WHERE original_name = ANY(%s)",
                        (sorted({p.name for p in files}),)).fetchall()
    conn.commit()
    return frozenset(r[0] for r in rows)


def _batches(pool: Executor, files: list[Path], workers: int, validate: bool,
             batch_size: int, known: frozenset[str] = frozenset()
             ) -> Iterator[list[tuple[Path, Future]]]:
    """Prepared files in file order, in groups of ``batch_size`` (the last may be smaller).

    A group is committed once all its files are prepared: committing whatever happened to be
    ready made groups of two or three files whenever the workers were the slower side (a
    shared machine), and each group costs a transaction's fixed queries and a flush to disk.
    Files are submitted up to two groups ahead, so the workers keep preparing the next group
    while this one is committed, and a folder of 100,000 files does not sit in memory as
    futures."""
    window = max(2 * batch_size, workers * _AHEAD_PER_WORKER)
    todo = iter(files)
    pending: deque[tuple[Path, Future]] = deque()

    def fill() -> None:
        while len(pending) < window:
            path = next(todo, None)
            if path is None:
                return
            pending.append((path, pool.submit(prepare_product, path, validate=validate,
                                              known=known)))

    fill()
    while pending:
        batch = [pending.popleft() for _ in range(min(batch_size, len(pending)))]
        wait([future for _path, future in batch])
        fill()
        yield batch


def ingest_paths(connect: Callable[[], psycopg.Connection], paths: Iterable[Path],
                 config: ArchiveConfig, *, workers: int | None = None, validate: bool = True,
                 batch_size: int = DEFAULT_BATCH,
                 report: Callable[[IngestOutcome], None] | None = None) -> IngestSummary:
    """Register every product under ``paths``.

    Parameters
    ----------
    connect : callable
        Returns a new connection to the soxsvo database; called again after the connection
        is lost, so one database restart does not fail the rest of the run.
    paths : iterable of Path
        Files and folders (searched recursively for ``*.fits``; associated files, see
        :func:`is_associated_name`, are registered with their product, not on their own).
    config : ArchiveConfig
        Archive store and defaults.
    workers : int, optional
        Processes that checksum and validate (default: the number of CPUs).
    validate : bool
        Apply the Phase 3 rules (default).
    batch_size : int
        Most products committed in one transaction (one savepoint each); 1 commits each
        product on its own.
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
        swept = sweep_inflight(conn, config.store)
        summary.orphans_removed = len(swept)
        known = registered_checksums(conn, files)
        with _pool(min(workers, max(1, len(files)))) as pool:
            for batch in _batches(pool, files, workers, validate, max(1, batch_size), known):
                if conn.closed:
                    conn = _reconnect(connect, conn)
                for outcome in _commit(batch, conn, config):
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


def _commit(batch: list[tuple[Path, Future]], conn: psycopg.Connection,
            config: ArchiveConfig) -> list[IngestOutcome]:
    """Outcomes of a batch: files that could not be prepared, then one transaction for the
    others."""
    outcomes: dict[int, IngestOutcome] = {}
    ready: list[tuple[int, PreparedProduct]] = []
    for index, (path, future) in enumerate(batch):
        try:
            ready.append((index, future.result()))
        except RegistrationError as exc:
            outcomes[index] = IngestOutcome(path, error=exc)
    if ready and conn.closed:
        lost = RegistrationError("no database connection, nothing registered", retryable=True)
        results = [lost] * len(ready)
    elif ready:
        results = commit_batch(conn, [p for _, p in ready], config)
    else:
        results = []
    for (index, prepared), result in zip(ready, results, strict=True):
        if isinstance(result, RegistrationError):
            outcomes[index] = IngestOutcome(prepared.path, error=result)
        else:
            outcomes[index] = IngestOutcome(prepared.path, registration=result)
    return [outcomes[i] for i in range(len(batch))]
