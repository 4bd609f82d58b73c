"""Previews are drawn on first request and kept in ``<data dir>/previews``.

The cache is keyed by the product's SHA-256 and :data:`PREVIEW_VERSION`: a product's bytes never
change under its checksum, so a cached preview is never stale, and a new plot version simply
draws new files. Files are written aside and renamed into place, so that two workers drawing
the same preview at once never serve a half-written PNG.
"""

from __future__ import annotations

from pathlib import Path

from soxsvo.preview.plot import PREVIEW_VERSION, render_preview
from soxsvo.utils.atomic import write_atomically


def preview_key(sha256: str, width: int, height: int) -> str:
    """The cache key (and ETag) of a product's preview at a given size."""
    return f"{sha256}-v{PREVIEW_VERSION}-{width}x{height}"


def cached_preview(cache_dir: Path, product_path: str, sha256: str, width: int,
                   height: int) -> Path:
    """The path of the product's preview PNG, drawing it first if it is not cached yet."""
    key = preview_key(sha256, width, height)
    target = Path(cache_dir) / sha256[:2] / f"{key}.png"
    if target.is_file():
        return target
    png = render_preview(product_path, width, height)
    write_atomically(target, png)
    return target
