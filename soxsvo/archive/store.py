"""The archive store: product and ancillary files kept by content (SHA-256), and its upkeep.

Files are copied in while the registration transaction is open and its advisory lock held,
so that a store file and its row appear together. The one window where they cannot — a
process killed after the copy and before the commit — is covered by a journal: before a
registration copies anything it lists the target in ``<store>/.inflight/<host>-<pid>-<n>.txt``,
and removes that list after its transaction ended. :func:`sweep_inflight` (run at the start of
``soxsvo ingest`` and ``soxsvo watch``) finds the lists left by dead processes and removes
every file they name that no row references; :func:`check_store` (``soxsvo db check``)
walks the whole store.

Both hold the registration lock while they look, so no registration is between its copy and
its commit at that moment: a file no committed row names is then an orphan, not a file about
to be registered.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import os
import shutil
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from soxsvo.errors import InsufficientStorageError
from soxsvo.utils import disk

__all__ = ["StoreCheck", "StoreError", "bytes_checksums", "check_store", "content_type",
           "ensure_free_space",
           "copy_into_store", "file_checksums", "file_sha256", "stored_path", "sweep_inflight",
           "Journal", "REGISTRATION_LOCK"]

#: Key of the transaction-level advisory lock every registration holds: it serialises the
#: choice of ADP names, the duplicate check, version superseding and store copies between
#: processes (``soxsvo ingest`` and ``soxsvo watch`` may run at once).
REGISTRATION_LOCK = 0x50C5_0003
#: Folder of the journals of registrations in progress.
INFLIGHT = ".inflight"

_TYPES = {".fits": "application/fits", ".fit": "application/fits", ".fz": "application/fits",
          ".png": "image/png", ".pdf": "application/pdf", ".jpg": "image/jpeg",
          ".jpeg": "image/jpeg", ".json": "application/json", ".txt": "text/plain",
          ".csv": "text/csv", ".log": "text/plain"}


class StoreError(Exception):
    """A file could not be copied into the store (``retryable``: the store's fault)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def content_type(name: str) -> str:
    """MIME type of an archived file, from its name (``application/octet-stream`` if unknown)."""
    lower = name.lower()
    suffix = Path(lower[:-3] if lower.endswith((".fits.gz", ".fit.gz")) else lower).suffix
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_checksums(path: Path) -> tuple[str, str, int]:
    """SHA-256 and MD5 hex digests and the size of a file, read once."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), size


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file (what the store copy is checked against: the MD5 of
    :func:`file_checksums` would double the cost for nothing)."""
    sha = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def bytes_checksums(data: bytes) -> tuple[str, str, int]:
    """SHA-256 and MD5 hex digests and the size of a file's bytes already in memory."""
    return hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest(), len(data)


def stored_path(store: Path, sha256: str, suffix: str = ".fits") -> Path:
    """Content-addressed location of a file in the archive store (its suffix kept, so that
    its type stays visible)."""
    return Path(store) / sha256[:2] / f"{sha256}{suffix.lower()}"


class Journal:
    """The list of store files one registration transaction may leave behind.

    Used as a context manager around the transaction: entries are appended before each copy
    and the list is removed when the transaction is over (committed or not) — a crash in
    between leaves it for :func:`sweep_inflight`.
    """

    _counter = itertools.count()

    def __init__(self, store: Path) -> None:
        self.folder = Path(store) / INFLIGHT
        # The host too: nodes on other machines share the store, and a pid only one machine.
        self.path = self.folder / f"{socket.gethostname()}-{os.getpid()}-{next(self._counter)}.txt"
        self._handle = None

    def add(self, target: Path) -> None:
        """Record ``target`` before it is written."""
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(f"{target}\n")
        self._handle.flush()  # a killed process's buffer is lost; the kernel's is not

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self.path.unlink(missing_ok=True)


def ensure_free_space(folder: Path, size: int, reserve: int, name: str) -> None:
    """:func:`soxsvo.utils.disk.ensure_free_space` for a product: a retryable
    :class:`StoreError` (the file stays where it was)."""
    try:
        disk.ensure_free_space(folder, size, reserve, name)
    except InsufficientStorageError as exc:
        raise StoreError(f"{exc}; free some space, then ingest it again",
                         retryable=True) from None


def copy_into_store(source: Path, target: Path, sha256: str, journal: Journal,
                    min_free_bytes: int = 0) -> bool:
    """Copy atomically (temp file + rename), checking the bytes are those checksummed.

    Returns False if the file was already there. The copy is hashed again: a file rewritten
    since it was checksummed must not enter the store under the old checksum. Every failure
    removes the temporary file and raises :class:`StoreError`; so does a disk that would keep
    less than ``min_free_bytes`` free (:func:`ensure_free_space`).
    """
    if target.exists():
        return False
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        raise StoreError(f"{source}: disappeared while it was being ingested") from None
    ensure_free_space(target.parent, size, min_free_bytes, source.name)
    # Why a fixed temporary name, journaled before it exists: a copy killed with kill -9 left
    # a random tmp*.part no journal named, so no later run removed it. Copies run under the
    # registration lock, so no other process writes the same name meanwhile.
    temp = target.with_name(target.name + ".part")
    journal.add(target)
    journal.add(temp)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot write into the archive store: {exc}", retryable=True) from None
    try:
        shutil.copyfile(source, temp)
        if file_sha256(Path(temp)) != sha256:
            raise StoreError(f"{source.name} changed while it was being ingested")
        os.replace(temp, target)
    except FileNotFoundError:
        Path(temp).unlink(missing_ok=True)
        raise StoreError(f"{source}: disappeared while it was being ingested") from None
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        # ENOSPC, EDQUOT, EFBIG, EIO: the store's fault, not the product's; retry later.
        raise StoreError(f"cannot copy {source.name} into the archive store: "
                         f"{exc.strerror or exc}", retryable=True) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _referenced(conn: psycopg.Connection, paths: Iterable[Path]) -> set[str]:
    names = [str(p) for p in paths]
    rows = conn.execute(
        "SELECT file_path FROM soxs.product WHERE file_path = ANY(%s) "
        "UNION SELECT file_path FROM soxs.ancillary WHERE file_path = ANY(%s)",
        (names, names)).fetchall()
    return {r[0] for r in rows}


def sweep_inflight(conn: psycopg.Connection, store: Path) -> list[Path]:
    """Remove the store files that registrations killed before their commit left behind.

    Cheap when nothing crashed (one ``listdir``). Returns the files removed.
    """
    folder = Path(store) / INFLIGHT
    if not folder.is_dir() or not any(folder.iterdir()):
        return []
    removed: list[Path] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRATION_LOCK,))
        for journal in sorted(folder.glob("*.txt")):
            named = [Path(line) for line in journal.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
            keep = _referenced(conn, named)
            for path in named:
                if str(path) not in keep and path.exists():
                    path.unlink()
                    removed.append(path)
            journal.unlink(missing_ok=True)
    return removed


@dataclass
class StoreCheck:
    """What :func:`check_store` found (and removed)."""

    files: int = 0
    orphans_removed: list[Path] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (row's DID, file path)

    @property
    def ok(self) -> bool:
        """No row lacks its file (orphans are removed, so they do not count)."""
        return not self.missing

    @property
    def line(self) -> str:
        """Summary for the command line."""
        return (f"store: {self.files} files, {len(self.orphans_removed)} orphaned files "
                f"removed, {len(self.missing)} rows without their file")


def check_store(conn: psycopg.Connection, store: Path) -> StoreCheck:
    """Walk the whole store: remove files no row references (and temporary ``.part``
    files), and list rows whose file is missing (those cannot be repaired here)."""
    store = Path(store)
    result = StoreCheck()
    result.orphans_removed.extend(sweep_inflight(conn, store))
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRATION_LOCK,))
        rows = conn.execute(
            "SELECT publisher_did, file_path FROM soxs.product UNION ALL "
            "SELECT publisher_did || ' ' || name, file_path FROM soxs.ancillary "
            "WHERE file_path IS NOT NULL").fetchall()
        known = {path for _, path in rows}
        if store.is_dir():
            for sub in sorted(store.iterdir()):
                if not sub.is_dir() or sub.name == INFLIGHT:
                    continue
                for path in sorted(sub.iterdir()):
                    if str(path) in known:
                        result.files += 1
                    elif path.is_file():
                        path.unlink()
                        result.orphans_removed.append(path)
        result.missing = [(did, path) for did, path in rows if not os.path.exists(path)]
    return result
