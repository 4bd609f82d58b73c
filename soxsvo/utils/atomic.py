"""Files replaced in one step: written beside their final name, then renamed onto it.

Web workers read caches (previews, HiPS tiles, MOC files) while others write them; a rename is
atomic on one file system, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``: renamed onto ``path`` when the block succeeds,
    removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        yield Path(temp)
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a concurrent reader never sees half a file."""
    with replacing(path) as temp:
        temp.write_bytes(data)
