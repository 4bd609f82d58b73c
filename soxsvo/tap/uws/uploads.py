"""Uploads of async jobs: stored with the job when it is created, loaded when it runs.

The parsing and loading are the sync endpoint's own (``soxsvo.tap.uploads``), so an upload
means the same in both; only where the bytes wait in between differs (the job's folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import psycopg

from soxsvo.dali.params import DALIParams
from soxsvo.db.metadata import TableMeta
from soxsvo.tap.uploads import load_upload, read_upload_payloads


def read_upload_parts(files: Mapping, params: DALIParams, tap_settings: dict
                      ) -> list[tuple[str, bytes]]:
    """The uploaded tables of a request as (name, bytes).

    Each table is checked as the sync endpoint checks it (size, rows, readability), so a bad
    upload is refused when the job is created rather than when it runs.

    Raises
    ------
    InputError
        For a bad UPLOAD value or unreadable table (TooLargeError for a too large one).
    """
    return read_upload_payloads(files, params, tap_settings)


def load_upload_file(conn: psycopg.Connection, name: str, path: Path,
                     max_rows: int) -> TableMeta:
    """Create the temporary table of upload ``name`` from its stored file, in the query's
    transaction (as the read-only role, like sync uploads)."""
    return load_upload(conn, name, path.read_bytes(), max_rows)
