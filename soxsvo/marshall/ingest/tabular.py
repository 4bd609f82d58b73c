"""Shared helpers of the text-table adapters (TNS, ATLAS, Gaia): decoding, CSV rows, ids."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from astropy.time import Time

from soxsvo.marshall.ingest.base import AlertFormatError


def text_of(data: bytes, origin: str) -> str:
    """``data`` as text (UTF-8, BOM tolerated)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AlertFormatError(origin, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
                               ) from None


def csv_rows(text: str, origin: str, required: set[str],
             skip_until: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV table as dicts; ``required`` columns must be present.

    ``skip_until`` names a column the header line contains: lines before it (TNS puts a
    date line above its header) are skipped.
    """
    lines = text.splitlines()
    if skip_until is not None:
        for index, line in enumerate(lines):
            if skip_until in line:
                lines = lines[index:]
                break
    reader = csv.DictReader(lines)
    header = {(name or "").strip() for name in reader.fieldnames or ()}
    missing = sorted(required - header)
    if missing:
        raise AlertFormatError(origin, f"CSV header lacks the columns {', '.join(missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise AlertFormatError(origin, f"line {number}: more fields than the header")
        rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
    return rows


def number(value: str | float | None, origin: str, what: str) -> float | None:
    """A float from a table cell; empty, 'NaN' and 'None' cells are None."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan",
                                                                           "none", "null")):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AlertFormatError(origin, f"{what} {value!r} is not a number") from None


def iso_to_mjd(value: str, origin: str, what: str) -> float:
    """MJD (UTC) of an ISO date-time such as '2024-01-15 03:12:34.5'."""
    try:
        return float(Time(value.strip().replace("T", " "), format="iso", scale="utc").mjd)
    except ValueError:
        raise AlertFormatError(origin, f"{what} {value!r} is not an ISO date") from None


def content_id(record: object) -> str:
    """A short stable digest of a record: the same report ingested twice has the same id."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(canonical.encode()).hexdigest()[:16]


def first_line_with(text: str, marker: str) -> bool:
    """True if one of the first lines of ``text`` contains ``marker``."""
    return any(marker in line for line in io.StringIO(text[:4096]).readlines()[:3])
