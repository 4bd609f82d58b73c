"""The disk reserve: what soxsvo never writes into, so the database beside it keeps room.

The archive store, UWS results and the private PostgreSQL usually share one disk; a writer
that fills it to 100 % leaves a database that can neither write nor start again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from soxsvo.errors import InsufficientStorageError

__all__ = ["ensure_free_space"]


def ensure_free_space(folder: Path, size: int, reserve: int, what: str) -> None:
    """Refuse to write ``size`` more bytes into ``folder`` when that would leave less than
    ``reserve`` bytes free on its disk.

    Raises
    ------
    InsufficientStorageError
        Naming ``what``, the free space and the reserve (``[archive] min_free_bytes``).
    """
    if reserve <= 0:
        return
    existing = folder
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free - size < reserve:
        raise InsufficientStorageError(
            f"{what}: not written: the disk has {free:,} bytes free and keeps a reserve of "
            f"{reserve:,} ([archive] min_free_bytes)")
