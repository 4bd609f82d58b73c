"""``soxsvo watch DIR``: register every product that appears in a folder.

A file is taken once it is completely written: its size and modification time have not
changed for ``settle`` seconds, or it was closed after its last change and has not changed
since (inotify's close-after-write, where watchdog reports it). A file that fails validation
after being taken on its close alone gets a second look after the full ``settle`` interval
before it is rejected, so a writer that opens and closes the file per chunk is not punished.

Registered files (and files registered before: the registry knows their checksums) move to
``DIR/done/``; rejected ones to ``DIR/rejected/`` with ``<name>.reason.txt`` and
``<name>.reason.json`` beside them. Files whose registration failed for reasons outside the
file (database unreachable, store full) stay where they are and are retried. At start the
folder is scanned, so what arrived while the watcher was down is picked up.

Validation runs in worker processes (a burst is checked concurrently); database writes run in
the watcher's thread: the files whose checks are done are registered in one transaction, one
savepoint each. Associated files (``ASSONi``) are stored with their product and move to
``done/`` with it.

Examples
--------
>>> watcher = Watcher(Path("incoming"), config, database.connect, settle=0.5)  # doctest: +SKIP
>>> watcher.run_forever()                                                       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from soxsvo.archive.ingest import is_associated_name
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

__all__ = ["Watcher", "is_candidate"]

#: How long a file closed after its last change must stay unchanged (s): guards against a
#: close event that races with the stat of the file.
_CLOSED_SETTLE = 0.05
#: Seconds before retrying a file whose registration failed for a retryable reason.
_RETRY_AFTER = 5.0


def is_candidate(path: Path) -> bool:
    """A FITS file a watcher should consider (hidden and partial files are skipped, so that
    writers may write ``.name.fits`` or ``name.fits.part`` and rename when done). Associated
    files (2D spectrum, sky...) are not candidates: they move with the product naming them."""
    return (path.suffix.lower() == ".fits" and not path.name.startswith(".")
            and not is_associated_name(path))


@dataclass
class _Candidate:
    size: int
    mtime_ns: int
    changed_at: float
    closed_at: float = -1.0  # wall-clock time of the last close-after-write event
    full_settle_only: bool = False
    not_before: float = 0.0


@dataclass
class _InFlight:
    future: Future
    size: int
    mtime_ns: int
    early: bool


class _Events(FileSystemEventHandler):
    """Forward watchdog's events about top-level files to the watcher."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        path = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
        if path.parent == self.watcher.directory and is_candidate(path):
            self.watcher.notify(path, closed=event.event_type == "closed")


@dataclass
class WatchCounts:
    """What a watcher has done since it started."""

    registered: int = 0
    already: int = 0
    rejected: int = 0
    retried: int = 0
    latencies: list[float] = field(default_factory=list)


class Watcher:
    """Register the products appearing in ``directory``.

    Parameters
    ----------
    directory : Path
        The folder to watch (created if missing); ``done/`` and ``rejected/`` are made in it.
    config : ArchiveConfig
        Archive store and defaults.
    connect : callable
        Returns a new database connection (called again after the connection is lost).
    settle : float
        Seconds a file must stay unchanged before it is taken (without a close event).
    workers : int, optional
        Validation processes (default: the number of CPUs); 0 validates in a thread.
    report : callable, optional
        Receives one line per file handled.
    poll : float
        Seconds between looks at the pending files.
    after_commit : callable, optional
        Called with the connection and the products registered, after each commit (e.g. to
        record the night's observations, :func:`soxsvo.observing.plans.record_registered`);
        what it raises is reported as a line, never stops the watcher.
    """

    def __init__(self, directory: Path, config: ArchiveConfig,
                 connect: Callable[[], psycopg.Connection], *, settle: float = 1.0,
                 workers: int | None = None, report: Callable[[str], None] | None = None,
                 poll: float = 0.05,
                 after_commit: Callable[[psycopg.Connection, list[PreparedProduct]], object]
                 | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.done_dir = self.directory / "done"
        self.rejected_dir = self.directory / "rejected"
        self.config = config
        self.connect = connect
        self.settle = settle
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.report = report or (lambda line: None)
        self.poll = poll
        self.after_commit = after_commit
        self.counts = WatchCounts()
        self._pending: dict[Path, _Candidate] = {}
        self._in_flight: dict[Path, _InFlight] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._pool: Executor | None = None
        self._conn: psycopg.Connection | None = None

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> Watcher:
        """Create the folders, scan what is already there and start watching."""
        for folder in (self.directory, self.done_dir, self.rejected_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._sweep()
        if self.workers > 0:
            # forkserver, not fork: watchdog's thread is running, and forking a threaded
            # process can copy a held lock. Preloading keeps worker start-up cheap.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["soxsvo.archive.register",
                                            "soxsvo.phase3.validate"])
            # Children of the forkserver, which ends with this process: so do they (SIGKILL:
            # they hold nothing to clean up, see soxsvo.archive.ingest._pool).
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                             initializer=die_with_parent,
                                             initargs=(None, signal.SIGKILL))
        else:
            self._pool = ThreadPoolExecutor(1)
        self._observer = Observer()
        self._observer.schedule(_Events(self), str(self.directory), recursive=False)
        self._observer.start()
        # Scan after the observer runs: a file arriving in between is seen at least once.
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and is_candidate(path):
                self.notify(path)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="soxsvo-watch", daemon=True)
        self._thread.start()
        return self

    def _sweep(self) -> None:
        """Remove store copies of registrations killed before their commit (a database that
        is away now only postpones this to the next start)."""
        try:
            orphans = sweep_inflight(self._connection(), self.config.store)
        except (psycopg.OperationalError, DatabaseError) as exc:
            self._conn = None
            self.report(f"watch: store not swept, database unreachable: {str(exc).strip()}")
            return
        for orphan in orphans:
            self.report(f"watch: removed {orphan.name}, copied into the store by a "
                        "registration that never committed")

    def stop(self) -> None:
        """Stop watching; files not yet registered stay in the folder for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._conn is not None:
            self._conn.close()
        self._thread = self._observer = self._pool = self._conn = None
        self._in_flight.clear()
        self._pending.clear()

    def run_forever(self) -> None:
        """Watch until interrupted (Ctrl-C, SIGTERM)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or in flight; False on timeout (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending and not self._in_flight:
                    return True
            time.sleep(self.poll)
        return False

    # -- events ---------------------------------------------------------------------------
    def notify(self, path: Path, *, closed: bool = False) -> None:
        """Something happened to ``path``: (re)consider it."""
        now = time.monotonic()
        with self._lock:
            candidate = self._pending.get(path)
            if candidate is None:
                if path in self._in_flight:
                    return  # its result is checked against the file's stat anyway
                candidate = self._pending[path] = _Candidate(-1, -1, now)
            if closed:
                candidate.closed_at = time.time()  # wall clock: compared with the mtime

    # -- the loop -------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._submit_settled()
                self._collect_done()
            except Exception as exc:  # keep watching whatever one file did
                self.report(f"watch: unexpected error: {exc!r}")
            self._stop.wait(self.poll)

    def _submit_settled(self) -> None:
        with self._lock:
            for path, c in list(self._pending.items()):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    del self._pending[path]  # removed or renamed before it settled
                    continue
                now, wall = time.monotonic(), time.time()
                if (st.st_size, st.st_mtime_ns) != (c.size, c.mtime_ns):
                    c.size, c.mtime_ns, c.changed_at = st.st_size, st.st_mtime_ns, now
                    continue
                # Quiet time by both clocks: the file's own mtime (immune to this loop being
                # late) and the time this loop has seen it unchanged (immune to odd mtimes).
                quiet = min(now - c.changed_at, wall - st.st_mtime_ns / 1e9)
                closed_after_write = c.closed_at >= st.st_mtime_ns / 1e9
                early = (not c.full_settle_only and closed_after_write
                         and quiet >= _CLOSED_SETTLE)
                if c.size == 0 or now < c.not_before or not (early or quiet >= self.settle):
                    continue
                del self._pending[path]
                future = self._pool.submit(prepare_product, path)
                self._in_flight[path] = _InFlight(future, c.size, c.mtime_ns,
                                                  early and quiet < self.settle)

    def _collect_done(self) -> None:
        with self._lock:
            done = [(p, f) for p, f in self._in_flight.items() if f.future.done()]
        if not done:
            return
        try:
            self._finish(done)
        finally:
            with self._lock:
                for path, _ in done:
                    self._in_flight.pop(path, None)

    def _changed(self, path: Path, flight: _InFlight) -> bool:
        try:
            st = path.stat()
        except FileNotFoundError:
            return True
        return (st.st_size, st.st_mtime_ns) != (flight.size, flight.mtime_ns)

    def _requeue(self, path: Path, *, full_settle: bool = False, delay: float = 0.0) -> None:
        if not path.exists():
            return
        with self._lock:
            c = self._pending.setdefault(path, _Candidate(-1, -1, time.monotonic()))
            c.full_settle_only = c.full_settle_only or full_settle
            c.not_before = time.monotonic() + delay

    def _finish(self, done: list[tuple[Path, _InFlight]]) -> None:
        """Register every product whose check is done: one transaction for all of them."""
        ready = []
        for path, flight in done:
            if self._changed(path, flight):
                self._requeue(path)  # written to again while being checked: start over
                continue
            try:
                ready.append((path, flight, flight.future.result()))
            except RegistrationError as exc:
                self._failed(path, flight, exc)
        if not ready:
            return
        try:
            results = commit_batch(self._connection(), [r[2] for r in ready], self.config)
        except (psycopg.OperationalError, DatabaseError) as exc:
            lost = RegistrationError(f"database unreachable: {str(exc).strip()}",
                                     retryable=True)
            results = [lost] * len(ready)
        registered = []
        for (path, flight, prepared), result in zip(ready, results, strict=True):
            if isinstance(result, RegistrationError):
                self._failed(path, flight, result)
            else:
                self._registered(path, flight, prepared, result)
                registered.append(prepared)
        if registered and self.after_commit is not None:
            self._after_commit(registered)

    def _after_commit(self, registered: list[PreparedProduct]) -> None:
        conn = self._connection()
        try:
            self.after_commit(conn, registered)
        except Exception as exc:  # noqa: BLE001 - the products are registered; say what failed
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            self.report(f"after registering {len(registered)} product(s): {exc}")

    def _registered(self, path: Path, flight: _InFlight, prepared: PreparedProduct,
                    registration: Registration) -> None:
        if registration.created:
            self.counts.registered += 1
        else:
            self.counts.already += 1
        moved = self._move(path, self.done_dir)
        for anc in prepared.ancillaries:  # they travel with the product that names them
            if anc.path is not None and anc.path.exists():
                self._move(anc.path, self.done_dir)
        self.counts.latencies.append(time.time() - flight.mtime_ns / 1e9)
        self.report(f"{path.name}: {registration.message} -> {moved.relative_to(self.directory)}")

    def _failed(self, path: Path, flight: _InFlight, exc: RegistrationError) -> None:
        if exc.retryable:
            self.counts.retried += 1
            if self._conn is not None and self._conn.closed:
                self._conn = None
            self.report(f"{path.name}: not registered, will retry: {str(exc).splitlines()[0]}")
            self._requeue(path, delay=_RETRY_AFTER)
            return
        if not path.exists():
            self.report(f"{path.name}: disappeared before it was registered")
            return
        if flight.early:
            # Taken on a close event alone: maybe a writer that closes after every chunk.
            self._requeue(path, full_settle=True)
            return
        self.counts.rejected += 1
        moved = self._move(path, self.rejected_dir)
        self._write_reasons(moved, exc)
        self.report(f"{path.name}: rejected -> {moved.relative_to(self.directory)}: "
                    f"{str(exc).splitlines()[0]}")

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    # -- files ----------------------------------------------------------------------------
    @staticmethod
    def _move(path: Path, folder: Path) -> Path:
        """Move into ``folder`` without overwriting: a second file of the same name gets
        ``name.1.fits``, ``name.2.fits`` ..."""
        target, n = folder / path.name, 0
        while target.exists():
            n += 1
            target = folder / f"{path.stem}.{n}{path.suffix}"
        os.replace(path, target)
        return target

    @staticmethod
    def _write_reasons(moved: Path, exc: RegistrationError) -> None:
        text = str(exc)
        record = {"file": moved.name, "rejected_at": datetime.now(UTC).isoformat(),
                  "message": text, "report": exc.report}
        moved.with_name(moved.name + ".reason.txt").write_text(text + "\n", encoding="utf-8")
        moved.with_name(moved.name + ".reason.json").write_text(
            json.dumps(record, indent=2) + "\n", encoding="utf-8")
