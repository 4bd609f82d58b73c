"""Run the configured reduction command (soxspipe) on raw frames, then package its output.

``soxsvo watch DIR --raw RAWDIR`` watches the instrument's raw folder read-only. Raw frames
are grouped by an observation-block keyword (``[pipeline] group_keyword``); once a group has
had no new frame for ``[pipeline] quiet`` seconds, it is reduced:

1. a workspace of its own is made under ``[pipeline] workspace`` and the group's raw frames are
   *copied* into ``<workspace>/raw`` — soxspipe moves and deletes files in the folder it
   reads, so it never sees the instrument's folder (links would let it write through);
2. the command (``[pipeline] command``, a list of arguments with the placeholders
   ``{workspace}``, ``{raw_dir}``, ``{out_dir}`` and ``{raw_files}``, the latter standing alone
   and expanding to one argument per frame) runs in the workspace, its output going to
   ``<workspace>/reduction.log``;
3. what it wrote in ``{out_dir}`` is packaged as Phase 3 (:func:`package_reduced`) and the
   products (associated files first) are delivered into the watched folder, where the watcher
   registers them like any other product.

Every run is a row of ``soxs.reduction_run``: command as run, workspace, raw frames, start and
end, exit status, log (its last 64 kB), status and the products delivered. At start, frames
already in a finished run are not reduced again, and runs left ``running`` by a crash are
marked ``failed``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from astropy.io import fits

from soxsvo.archive.ingest import is_associated_name
from soxsvo.db import DatabaseError
from soxsvo.pipeline.package import PackageError, package_reduced

__all__ = ["ReductionConfig", "ReductionHook", "ReductionRun", "expand_command",
           "run_reduction"]

#: Most bytes of a run's log kept in the database (the whole log stays in its workspace).
LOG_LIMIT = 65536


@dataclass(frozen=True)
class ReductionConfig:
    """The ``[pipeline]`` section: what to run and where."""

    command: tuple[str, ...]
    workspace_root: Path
    quiet: float = 30.0
    timeout: float = 3600.0
    group_keyword: str = "HIERARCH ESO OBS ID"
    settle: float = 1.0

    @classmethod
    def from_settings(cls, settings) -> ReductionConfig:
        """Build from soxsvo Settings (an empty workspace means ``<data_dir>/reductions``)."""
        section = settings.pipeline
        root = Path(section.workspace) if section.workspace else \
            settings.data_path / "reductions"
        return cls(tuple(section.command), root, quiet=section.quiet,
                   timeout=float(section.timeout), group_keyword=section.group_keyword,
                   settle=section.settle)


@dataclass
class ReductionRun:
    """One run of the reduction command, as recorded."""

    run_id: int
    workspace: Path
    command: list[str]
    exit_status: int | None = None
    status: str = "running"
    log: str = ""
    products: list[str] = field(default_factory=list)


def expand_command(template: Sequence[str], *, workspace: Path, raw_dir: Path, out_dir: Path,
                   raw_files: Sequence[Path]) -> list[str]:
    """The command line of one run: placeholders replaced, ``{raw_files}`` expanded."""
    command: list[str] = []
    for arg in template:
        if arg == "{raw_files}":
            command.extend(str(p) for p in raw_files)
            continue
        command.append(arg.replace("{workspace}", str(workspace))
                       .replace("{raw_dir}", str(raw_dir)).replace("{out_dir}", str(out_dir)))
    return command


def _make_workspace(root: Path, raw_files: Sequence[Path]) -> tuple[Path, list[Path]]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    workspace = root / f"run-{stamp}-{uuid.uuid4().hex[:8]}"
    (workspace / "raw").mkdir(parents=True)
    (workspace / "reduced").mkdir()
    copies = []
    for source in raw_files:
        target = workspace / "raw" / source.name
        shutil.copyfile(source, target)
        copies.append(target)
    return workspace, copies


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - LOG_LIMIT))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _execute(command: list[str], workspace: Path, timeout: float) -> tuple[int, str]:
    """Run the command; its exit status and any message of ours to add to the log."""
    log_path = workspace / "reduction.log"
    with log_path.open("ab") as log:
        try:
            proc = subprocess.run(command, cwd=workspace, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout, check=False)
        except FileNotFoundError:
            return 127, f"soxsvo: command not found: {command[0]}\n"
        except subprocess.TimeoutExpired:
            return -9, f"soxsvo: stopped after {timeout:g} s (the [pipeline] timeout)\n"
    return proc.returncode, ""


def _deliver(files: Sequence[Path], folder: Path) -> list[str]:
    """Put packaged files into the watched folder so that each appears complete: copied
    under a hidden name (never a candidate), then renamed. Associated files go first, so
    they are there when their product is registered."""
    folder.mkdir(parents=True, exist_ok=True)
    delivered = []
    for path in sorted(files, key=lambda p: not is_associated_name(p)):
        hidden = folder / f".{path.name}.part"
        shutil.copyfile(path, hidden)
        os.replace(hidden, folder / path.name)
        delivered.append(path.name)
    return delivered


def _record_start(conn: psycopg.Connection, command: list[str], workspace: Path,
                  raw_files: Sequence[Path]) -> int:
    with conn.transaction():
        return conn.execute(
            "INSERT INTO soxs.reduction_run (command, workspace, raw_files) "
            "VALUES (%s, %s, %s) RETURNING run_id",
            (command, str(workspace), [str(p) for p in raw_files])).fetchone()[0]


def _record_end(conn: psycopg.Connection, run: ReductionRun) -> None:
    with conn.transaction():
        conn.execute(
            "UPDATE soxs.reduction_run SET finished_at = now(), exit_status = %s, status = %s, "
            "log = %s, products = %s WHERE run_id = %s",
            (run.exit_status, run.status, run.log, run.products, run.run_id))


def run_reduction(conn: psycopg.Connection, config: ReductionConfig,
                  raw_files: Sequence[Path], deliver_to: Path) -> ReductionRun:
    """Reduce ``raw_files`` in a new workspace, package the output and deliver it.

    Parameters
    ----------
    conn : psycopg.Connection
        Where the run is recorded (``soxs.reduction_run``).
    config : ReductionConfig
        Command template, workspace root, timeout.
    raw_files : sequence of Path
        The raw frames (read, never modified, moved or removed).
    deliver_to : Path
        Folder the Phase 3 products are put into (the watched folder).

    Returns
    -------
    ReductionRun
        What was run and what came of it (also recorded in the database).
    """
    raw_files = [Path(p) for p in raw_files]
    workspace, _ = _make_workspace(config.workspace_root, raw_files)
    raw_dir, out_dir = workspace / "raw", workspace / "reduced"
    command = expand_command(config.command, workspace=workspace, raw_dir=raw_dir,
                             out_dir=out_dir, raw_files=sorted(raw_dir.iterdir()))
    run = ReductionRun(_record_start(conn, command, workspace, raw_files), workspace, command)
    run.exit_status, note = _execute(command, workspace, config.timeout)
    if run.exit_status == 0:
        note += _package_and_deliver(run, raw_files, deliver_to)
    else:
        note += f"soxsvo: reduction failed with exit status {run.exit_status}\n"
    if note:
        with (workspace / "reduction.log").open("a", encoding="utf-8") as log:
            log.write(note)
    run.status = "succeeded" if run.exit_status == 0 and run.products else "failed"
    run.log = _tail(workspace / "reduction.log")
    _record_end(conn, run)
    return run


def _package_and_deliver(run: ReductionRun, raw_files: Sequence[Path], deliver_to: Path) -> str:
    out_dir, phase3 = run.workspace / "reduced", run.workspace / "phase3"
    # The original frames are read too: the command may have moved or removed its copies.
    raw_dirs = [run.workspace / "raw", *dict.fromkeys(p.parent for p in raw_files)]
    try:
        packaged = package_reduced([out_dir], phase3, raw_dirs=raw_dirs)
    except PackageError as exc:
        return f"soxsvo: the output could not be packaged: {exc}\n"
    files = [p for p in phase3.iterdir() if p.is_file()]
    run.products = [n for n in _deliver(files, deliver_to) if not is_associated_name(Path(n))]
    notes = "".join(f"soxsvo: {n.line}\n" for n in packaged.not_packaged)
    return notes + f"soxsvo: {len(packaged.written)} Phase 3 products delivered to {deliver_to}\n"


@dataclass
class _Frame:
    size: int
    mtime_ns: int
    changed_at: float
    group: str | None = None


class ReductionHook:
    """Watch a raw folder (read-only, by polling) and reduce each group of frames once.

    Parameters
    ----------
    raw_dir : Path
        The instrument's raw folder; nothing in it is ever written, moved or removed.
    config : ReductionConfig
        Command, workspace root, quiet time, grouping keyword.
    connect : callable
        Returns a new database connection.
    deliver_to : Path
        The folder the products are put into (the watcher's folder).
    report : callable, optional
        Receives one line per run.
    poll : float
        Seconds between looks at the raw folder.
    """

    def __init__(self, raw_dir: Path, config: ReductionConfig,
                 connect: Callable[[], psycopg.Connection], deliver_to: Path, *,
                 report: Callable[[str], None] | None = None, poll: float = 0.5) -> None:
        self.raw_dir = Path(raw_dir).resolve()
        self.config = config
        self.connect = connect
        self.deliver_to = Path(deliver_to)
        self.report = report or (lambda line: None)
        self.poll = poll
        self.runs: list[ReductionRun] = []
        self._frames: dict[Path, _Frame] = {}
        self._done: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None

    def start(self) -> ReductionHook:
        """Learn what was reduced before and start polling."""
        if self.raw_dir == self.deliver_to.resolve():
            raise ValueError("the raw folder cannot be the folder products are delivered to")
        conn = self._connection()
        with conn.transaction():
            conn.execute("UPDATE soxs.reduction_run SET status = 'failed', finished_at = now(),"
                         " log = log || 'soxsvo: interrupted (the watcher stopped)' "
                         "WHERE status = 'running'")
            rows = conn.execute("SELECT unnest(raw_files) FROM soxs.reduction_run").fetchall()
        self._done = {r[0] for r in rows}
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="soxsvo-reduce", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling (a run in progress finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._conn is not None:
            self._conn.close()
        self._thread = self._conn = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._scan()
                for group, frames in self._quiet_groups():
                    self._reduce(group, frames)
            except (psycopg.OperationalError, DatabaseError) as exc:
                self._conn = None
                self.report(f"reduce: database unreachable, will retry: {str(exc).strip()}")
            except Exception as exc:  # keep watching whatever one run did
                self.report(f"reduce: unexpected error: {exc!r}")
            self._stop.wait(self.poll)

    def _scan(self) -> None:
        now = time.monotonic()
        for path in sorted(self.raw_dir.glob("*.fits")):
            if path.name.startswith(".") or str(path) in self._done:
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            frame = self._frames.setdefault(path, _Frame(-1, -1, now))
            if (st.st_size, st.st_mtime_ns) != (frame.size, frame.mtime_ns):
                frame.size, frame.mtime_ns, frame.changed_at = st.st_size, st.st_mtime_ns, now
                frame.group = None
            elif frame.group is None and now - frame.changed_at >= self.config.settle:
                frame.group = self._group_of(path)

    def _group_of(self, path: Path) -> str:
        try:
            value = fits.getheader(path).get(self.config.group_keyword)
        except Exception:  # noqa: BLE001 - not FITS (yet): a group of its own
            return f"file:{path.name}"
        return f"{self.config.group_keyword}={value}" if value is not None else \
            f"file:{path.name}"

    def _quiet_groups(self) -> list[tuple[str, list[Path]]]:
        now, groups = time.monotonic(), {}
        for path, frame in self._frames.items():
            groups.setdefault(frame.group, []).append((path, frame))
        ready = []
        for group, members in groups.items():
            if group is None:
                continue
            last = max(f.changed_at for _, f in members)
            # Frames of the group still settling hold the run back.
            if now - last >= self.config.quiet and not groups.get(None):
                ready.append((group, [p for p, _ in members]))
        return ready

    def _reduce(self, group: str, frames: list[Path]) -> None:
        run = run_reduction(self._connection(), self.config, frames, self.deliver_to)
        for path in frames:
            self._done.add(str(path))
            self._frames.pop(path, None)
        self.runs.append(run)
        self.report(f"reduce: {group}: {len(frames)} raw frames, exit status "
                    f"{run.exit_status}, {run.status}, products: {', '.join(run.products) or '-'}"
                    f" (run {run.run_id}, {run.workspace})")
