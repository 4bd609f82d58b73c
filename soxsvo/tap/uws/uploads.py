"""Uploads of async jobs: stored with the job when it is created, loaded when it runs.

The parsing and loading are the sync endpoint's own (``soxsvo.tap.uploads``), so an upload
means the same in both; only where the bytes wait in between differs (the job's folder).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from flask import Request

from soxsvo.dali import DALIError, DALIParams
from soxsvo.db.metadata import TableMeta

# The private helpers are used on purpose: they are the sync endpoint's definition of a valid
# upload, and re-implementing them here would let the two endpoints drift apart.
from soxsvo.tap.uploads import _load_into_temp_table, _parse_upload_spec, _read_table


def read_upload_parts(request: Request, params: DALIParams, tap_settings: dict
                      ) -> list[tuple[str, bytes]]:
    """The uploaded tables of a request as (name, bytes).

    Each table is checked as the sync endpoint checks it (size, rows, readability), so a bad
    upload is refused when the job is created rather than when it runs.

    Raises
    ------
    DALIError
        400 for a bad UPLOAD value or unreadable table, 413 for a too large one.
    """
    parts = []
    for name, part in _parse_upload_spec(params.getall("UPLOAD")):
        storage = request.files.get(part)
        if storage is None:
            raise DALIError(f"UPLOAD {name}: no multipart part named {part!r} in the request")
        payload = storage.read(tap_settings["upload_max_bytes"] + 1)
        if len(payload) > tap_settings["upload_max_bytes"]:
            raise DALIError(f"UPLOAD {name}: larger than the limit of "
                            f"{tap_settings['upload_max_bytes']} bytes", 413)
        _read_table(name, payload, tap_settings["upload_max_rows"])
        parts.append((name, payload))
    return parts


def load_upload_file(conn: psycopg.Connection, name: str, path: Path,
                     max_rows: int) -> TableMeta:
    """Create the temporary table of upload ``name`` from its stored file, in the query's
    transaction (as the read-only role, like sync uploads)."""
    return _load_into_temp_table(conn, name, _read_table(name, path.read_bytes(), max_rows))
