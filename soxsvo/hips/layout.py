"""Where things are in a HiPS 1.0 tree, and its ``properties`` file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

#: HiPS version of the 1.0 Recommendation (its ``hips_version`` value).
HIPS_VERSION = "1.4"


def tile_path(order: int, ipix: int, extension: str) -> str:
    """The tile's path inside a HiPS: ``NorderK/DirD/NpixN.ext`` with ``D = N // 10000 * 10000``.

    Parameters
    ----------
    order : int
        HEALPix order of the tile.
    ipix : int
        NESTED index of the tile at that order.
    extension : str
        ``tsv``, ``fits``, ``png`` or ``jpg``.
    """
    return f"Norder{order}/Dir{(ipix // 10000) * 10000}/Npix{ipix}.{extension}"


def hips_date(when: datetime | None = None) -> str:
    """A date as HiPS properties write it: ``YYYY-mm-ddTHH:MMZ`` (UTC)."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def format_properties(properties: Mapping[str, object]) -> str:
    """The text of a ``properties`` file: one ``key = value`` per line, in the given order."""
    lines = []
    for key, value in properties.items():
        text = " ".join(str(value).split())  # one line per key: no newlines inside a value
        lines.append(f"{key:<20} = {text}")
    return "\n".join(lines) + "\n"


def parse_properties(text: str) -> dict[str, str]:
    """Keys and values of a ``properties`` file (comments and blank lines skipped)."""
    properties = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        properties[key.strip()] = value.strip()
    return properties

