"""Keeping the HiPS current: the public tree on disk, other callers' in memory.

The public tree (what an anonymous caller may see) lives in ``<data_dir>/hips/catalogue/<key>/``
where ``<key>`` digests the archive state it was built from. A request checks the state (one
cheap query, at most every ``[hips] check_interval`` seconds per process); when it changed, one
process rebuilds the tree into a new folder under a file lock and the others wait and reuse it.
Readers never see a half-written tree: a folder appears by renaming a finished one.

A logged-in caller may see more (their programmes' proprietary spectra), so their HiPS is never
written to disk: it is built in memory from their own reader transaction and kept in a small
per-process cache keyed by identity and state.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader
from soxsvo.hips.catalogue import CatalogueOptions, build_catalogue, read_rows, read_state
from soxsvo.hips.image import ImageOptions, ImageTree, Manifest
from soxsvo.utils.atomic import write_atomically

_CHECKED: dict[str, tuple[float, Path]] = {}
_PRIVATE: OrderedDict[tuple, dict[str, bytes]] = OrderedDict()
_PRIVATE_SIZE = 8
_GUARD = threading.Lock()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (web workers, the CLI) on ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _key(state: str, options: CatalogueOptions) -> str:
    return hashlib.sha256(f"{state}|{options!r}".encode()).hexdigest()[:20]


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    """Write a HiPS tree into a temporary folder beside ``folder``, then rename it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".draft-"))
    try:
        for relative, data in files.items():
            target = draft / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        draft.rename(folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(draft, ignore_errors=True)


def _prune(parent: Path, keep: Path, n_keep: int = 2) -> None:
    """Remove old trees, keeping the newest few (a request may still be reading one)."""
    trees = sorted((p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for tree in trees[n_keep:]:
        if tree != keep:
            shutil.rmtree(tree, ignore_errors=True)


def public_catalogue(conn: psycopg.Connection, hips_root: Path, options: CatalogueOptions,
                     timeout_s: float, check_interval: float = 0.0) -> tuple[Path, str]:
    """The folder of the current public catalogue HiPS, rebuilt first if the archive changed.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database, not in a transaction.
    hips_root : Path
        ``<data_dir>/hips``.
    options : CatalogueOptions
        Tile size, deepest order, identifiers.
    timeout_s : float
        Statement timeout of the reader transactions.
    check_interval : float
        Seconds during which this process trusts its last check without asking the database.

    Returns
    -------
    folder : Path
        The HiPS tree.
    action : str
        ``"trusted"`` (recent check), ``"current"`` (state unchanged) or ``"rebuilt"``.
    """
    parent = hips_root / "catalogue"
    now = time.monotonic()
    last = _CHECKED.get(str(parent))
    if last and now - last[0] < check_interval and (last[1] / "properties").is_file():
        return last[1], "trusted"
    folder = parent / _key(read_state(conn, ANONYMOUS, timeout_s), options)
    action = "current"
    if not (folder / "properties").is_file():
        with file_lock(hips_root / "catalogue.lock"):
            # Another process may have built it while this one waited for the lock.
            if not (folder / "properties").is_file():
                state, rows = read_rows(conn, ANONYMOUS, timeout_s)
                folder = parent / _key(state, options)
                write_tree(folder, build_catalogue(rows, options))
                _prune(parent, folder)
                action = "rebuilt"
    _CHECKED[str(parent)] = (now, folder)
    return folder, action


def private_catalogue(conn: psycopg.Connection, identity: Identity, options: CatalogueOptions,
                      timeout_s: float) -> dict[str, bytes]:
    """The catalogue HiPS as ``identity`` may see it, built in memory (never on disk)."""
    key = (identity, read_state(conn, identity, timeout_s), options)
    with _GUARD:
        if key in _PRIVATE:
            _PRIVATE.move_to_end(key)
            return _PRIVATE[key]
    state, rows = read_rows(conn, identity, timeout_s)
    files = build_catalogue(rows, options)
    with _GUARD:
        _PRIVATE[(identity, state, options)] = files
        while len(_PRIVATE) > _PRIVATE_SIZE:
            _PRIVATE.popitem(last=False)
    return files


# -- image HiPS ---------------------------------------------------------------------------------
IMAGES_SQL = ("SELECT dp_id FROM ivoa.obscore WHERE prodcatg = 'SCIENCE.IMAGE' "
              "AND NOT superseded ORDER BY publication_date, dp_id")


def visible_images(conn: psycopg.Connection, timeout_s: float) -> list[tuple[str, str, Path]]:
    """The public images (dp_id, sha256, stored path), oldest first.

    Which images are visible is decided by the reader transaction (row-level security); the
    stored paths of those products are then looked up as the archive (the reader role has no
    access to ``soxs.product``), for exactly the identifiers the reader returned. The
    connection must not be in a transaction: the reader settings end with the first one.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise ValueError("visible_images needs a connection outside any transaction")
    with conn.transaction():
        begin_as_reader(conn, timeout_s, ANONYMOUS)
        ids = [r[0] for r in conn.execute(IMAGES_SQL).fetchall()]
    if not ids:
        return []
    with conn.transaction():
        found = {r[0]: (r[1], Path(r[2])) for r in conn.execute(
            "SELECT dp_id, sha256, file_path FROM soxs.product WHERE dp_id = ANY(%s)", (ids,))}
    return [(dp_id, *found[dp_id]) for dp_id in ids if dp_id in found]


def _current_image_folder(parent: Path) -> Path | None:
    try:
        name = (parent / "CURRENT").read_text().strip()
    except OSError:
        return None
    folder = parent / name
    return folder if name and folder.is_dir() else None


def public_image_hips(conn: psycopg.Connection, hips_root: Path, options: ImageOptions,
                      timeout_s: float, check_interval: float = 0.0) -> tuple[Path, str]:
    """The folder of the current image HiPS, brought up to date first.

    New public images are added incrementally; if an image the tree holds is no longer public
    (or the orders changed), the tree is rebuilt into a new folder and swapped in.

    Returns
    -------
    folder : Path
    action : str
        ``"trusted"``, ``"current"``, ``"updated"`` or ``"rebuilt"``.
    """
    parent = hips_root / "image"
    now = time.monotonic()
    last = _CHECKED.get(str(parent))
    if last and now - last[0] < check_interval and (last[1] / "properties").is_file():
        return last[1], "trusted"
    images = visible_images(conn, timeout_s)
    with file_lock(hips_root / "image.lock"):
        folder = _current_image_folder(parent)
        manifest = Manifest.load(folder) if folder else None
        wanted = {dp_id: sha for dp_id, sha, _ in images}
        usable = (manifest is not None
                  and (manifest.order, manifest.tile_width) == (options.order,
                                                                options.tile_width)
                  and all(wanted.get(k) == v for k, v in manifest.products.items()))
        if usable:
            new = [image for image in images if image[0] not in manifest.products]
            action = "current"
            if new:
                ImageTree(folder, options).add_images(new, manifest)
                action = "updated"
        else:
            folder = parent / f"tree-{uuid.uuid4().hex[:12]}"
            folder.mkdir(parents=True)
            ImageTree(folder, options).add_images(
                images, Manifest(options.order, options.tile_width))
            write_atomically(parent / "CURRENT", folder.name.encode())
            _prune(parent, folder)
            action = "rebuilt"
    _CHECKED[str(parent)] = (now, folder)
    return folder, action
