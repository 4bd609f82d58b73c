"""A product's associated files (``ASSONi``) and master calibrations, as registration keeps them.

ESO-044286 §2.4 names associated files (2D spectrum, sky spectrum, ...) in the product header and
delivers them beside the product. Registration copies those it finds into the archive store,
content-addressed like products, so that DataLink can offer them (``#auxiliary``); those it does
not find are still recorded, without a file. Master calibrations are known only where the header
names them (``ESO PRO REC1 CALi NAME`` / ``CATG``, as ESO pipelines write them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soxsvo.pipeline.obscore_map import ProductHeaders


@dataclass(frozen=True)
class Associated:
    """One ``ASSONi`` entry and, once stored, where its bytes are."""

    name: str
    category: str
    md5: str | None
    file_path: str | None = None
    sha256: str | None = None
    file_size: int | None = None


def associated_entries(headers: ProductHeaders) -> list[Associated]:
    """The ``ASSONi``/``ASSOCi``/``ASSOMi`` entries of a product header, in order."""
    names, categories = headers.indexed("ASSON"), headers.indexed("ASSOC")
    md5s = headers.indexed("ASSOM")
    return [Associated(str(name),
                       str(categories[i]) if i < len(categories) else "ANCILLARY",
                       str(md5s[i]).lower() if i < len(md5s) else None)
            for i, name in enumerate(names)]


def source_of(entry: Associated, product: Path) -> Path | None:
    """The delivered file of ``entry`` beside ``product``, or None when it is not there.

    Only a plain file name is looked up: a name with folders in it must not make registration
    read files elsewhere on the machine.
    """
    if not entry.name or Path(entry.name).name != entry.name or entry.name in (".", ".."):
        return None
    candidate = Path(product).parent / entry.name
    return candidate if candidate.is_file() else None


def ancillary_store_path(store: Path, sha256: str, name: str) -> Path:
    """Content-addressed location of an associated file (its own suffix kept)."""
    suffix = "".join(Path(name).suffixes[-2:]) if name.endswith(".gz") else Path(name).suffix
    return store / "ancillary" / sha256[:2] / f"{sha256}{suffix}"


def calibrations(headers: ProductHeaders) -> list[tuple[str, str]]:
    """``(name, category)`` of the master calibrations the header names, in order."""
    found = []
    index = 1
    while (name := headers.get(f"HIERARCH ESO PRO REC1 CAL{index} NAME")) is not None:
        category = headers.get(f"HIERARCH ESO PRO REC1 CAL{index} CATG") or ""
        found.append((str(name), str(category)))
        index += 1
    return list(dict.fromkeys(found))
