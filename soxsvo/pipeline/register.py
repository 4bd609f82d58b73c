"""Register a Phase 3 product: validate, store by checksum, write its rows in one transaction.

This is the one path by which products enter the archive: ``soxsvo ingest``, the directory
watcher and the demo generator all call :func:`register_product`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from soxsvo.pipeline import obscore_map
from soxsvo.pipeline.obscore_map import ProductHeaders


class RegistrationError(Exception):
    """The product was not registered; the message says why. Nothing was written."""


@dataclass(frozen=True)
class ArchiveConfig:
    """What registration needs to know about the archive it writes to."""

    store: Path
    base_url: str
    collection: str = "SOXS"
    authority: str = "eso.org/soxs"
    proprietary_months: int = 12

    @classmethod
    def from_settings(cls, settings) -> ArchiveConfig:
        """Build from soxsvo Settings (``[archive]`` section and data dir)."""
        archive = settings.archive
        return cls(
            store=settings.data_path / "archive",
            base_url=settings.public_url,
            collection=archive["collection"],
            authority=archive["authority"],
            proprietary_months=archive["proprietary_months"],
        )


@dataclass(frozen=True)
class Registration:
    """Outcome of registering one file."""

    publisher_did: str
    dp_id: str
    created: bool
    superseded: str | None = None

    @property
    def message(self) -> str:
        """One line for logs and the command line."""
        if not self.created:
            return f"already registered as {self.publisher_did}: nothing changed"
        extra = f" (supersedes {self.superseded})" if self.superseded else ""
        return f"registered {self.publisher_did}{extra}"


def file_checksums(path: Path) -> tuple[str, str, int]:
    """SHA-256 and MD5 hex digests and the size of a file, read once."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), size


def stored_path(store: Path, sha256: str) -> Path:
    """Content-addressed location of a product in the archive store."""
    return store / sha256[:2] / f"{sha256}.fits"


def _copy_into_store(source: Path, target: Path) -> bool:
    """Copy atomically (temp file + rename); return False if the file was already there."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _new_dp_id(conn: psycopg.Connection) -> str:
    """An ESO-style archive name ``ADP.<UTC timestamp>`` not used yet (milliseconds bumped
    when two products register in the same millisecond)."""
    stamp = datetime.now(UTC).replace(tzinfo=None)
    while True:
        dp_id = "ADP." + stamp.isoformat(timespec="milliseconds")
        if conn.execute("SELECT 1 FROM soxs.product WHERE dp_id = %s", (dp_id,)).fetchone() is None:
            return dp_id
        stamp += timedelta(milliseconds=1)


def _ensure_programme(conn: psycopg.Connection, proposal_id: str, months: int) -> int:
    conn.execute(
        "INSERT INTO soxs.programme (proposal_id, proprietary_months) VALUES (%s, %s) "
        "ON CONFLICT (proposal_id) DO NOTHING",
        (proposal_id, months),
    )
    return conn.execute(
        "SELECT proprietary_months FROM soxs.programme WHERE proposal_id = %s", (proposal_id,)
    ).fetchone()[0]


def _ensure_observation(conn: psycopg.Connection, headers: ProductHeaders, obs_id: str) -> None:
    obids = headers.indexed("OBID")
    conn.execute(
        "INSERT INTO soxs.observation (obs_id, ob_id, proposal_id, night, arm, target_name, ra, "
        "dec, mjd_start, mjd_end, exptime) VALUES (%s, %s, %s, %s, 'BOTH', %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (obs_id) DO NOTHING",
        (obs_id, obids[0] if obids else 0, headers.get("PROG_ID"),
         obscore_map.night_of(float(headers.get("MJD-OBS"))), headers.get("OBJECT"),
         float(headers.get("RA")) % 360.0, float(headers.get("DEC")),
         float(headers.get("MJD-OBS")), float(headers.get("MJD-END")),
         float(headers.get("TEXPTIME"))),
    )


def _current_version(conn, obs_id: str, subtype: str | None, prodcatg: str):
    return conn.execute(
        "SELECT p.publisher_did, p.version FROM soxs.product p "
        "JOIN ivoa.obscore o ON o.obs_publisher_did = p.publisher_did "
        "WHERE o.obs_id = %s AND o.dataproduct_subtype IS NOT DISTINCT FROM %s "
        "AND o.prodcatg = %s AND p.status = 'current' FOR UPDATE OF p",
        (obs_id, subtype, prodcatg),
    ).fetchone()


def _insert_row(conn: psycopg.Connection, table: str, row: dict) -> None:
    schema, name = table.split(".")
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(schema, name),
        sql.SQL(", ").join(map(sql.Identifier, row)),
        sql.SQL(", ").join(sql.Placeholder() * len(row)),
    )
    conn.execute(statement, list(row.values()))


def _write_rows(conn, headers, config, *, sha256, md5, size, target, source) -> Registration:
    obs_id = obscore_map.observation_id(headers)
    months = _ensure_programme(conn, headers.get("PROG_ID"), config.proprietary_months)
    _ensure_observation(conn, headers, obs_id)
    dp_id = _new_dp_id(conn)
    did = f"ivo://{config.authority}/ID?{dp_id}"
    released = obscore_map.release_date(float(headers.get("MJD-END")), months)
    row = obscore_map.obscore_row(
        headers, dp_id=dp_id, publisher_did=did, size_bytes=size,
        access_url=f"{config.base_url}/files/{quote(dp_id, safe=':')}",
        collection=config.collection, released=released,
    )
    previous = _current_version(conn, obs_id, row["dataproduct_subtype"], row["prodcatg"])
    _insert_row(conn, "soxs.product", {
        "publisher_did": did, "dp_id": dp_id, "obs_id": obs_id, "prodcatg": row["prodcatg"],
        "arm": obscore_map.product_arm(headers), "file_path": str(target),
        "original_name": source.name, "sha256": sha256, "md5": md5, "file_size": size,
        "procsoft": headers.get("PROCSOFT", ""), "version": previous[1] + 1 if previous else 1,
    })
    _insert_row(conn, "ivoa.obscore", row)
    _record_provenance(conn, did, headers)
    if previous:
        conn.execute(
            "UPDATE soxs.product SET status = 'obsolete', superseded_by = %s "
            "WHERE publisher_did = %s", (did, previous[0]),
        )
        conn.execute(
            "UPDATE ivoa.obscore SET superseded = true, last_mod_date = now() "
            "WHERE obs_publisher_did = %s", (previous[0],),
        )
    return Registration(did, dp_id, True, previous[0] if previous else None)


def _record_provenance(conn: psycopg.Connection, did: str, headers: ProductHeaders) -> None:
    for arcfile in dict.fromkeys(headers.indexed("PROV")):
        known = conn.execute(
            "SELECT 1 FROM soxs.raw_frame WHERE arcfile = %s", (arcfile,)
        ).fetchone() is not None
        conn.execute(
            "INSERT INTO soxs.provenance (publisher_did, raw_arcfile, known) VALUES (%s, %s, %s)",
            (did, arcfile, known),
        )
    names, categories = headers.indexed("ASSON"), headers.indexed("ASSOC")
    md5s = headers.indexed("ASSOM")
    for index, name in enumerate(names):
        conn.execute(
            "INSERT INTO soxs.ancillary (publisher_did, name, category, md5) "
            "VALUES (%s, %s, %s, %s)",
            (did, name, categories[index] if index < len(categories) else "ANCILLARY",
             md5s[index] if index < len(md5s) else None),
        )


def _validate(path: Path) -> None:
    from soxsvo.pipeline.validate import validate_product

    report = validate_product(path)
    if not report.ok:
        raise RegistrationError(f"{path.name} is not a valid Phase 3 product:\n{report.to_text()}")


def register_product(conn: psycopg.Connection, path: Path, config: ArchiveConfig, *,
                     validate: bool = True) -> Registration:
    """Validate ``path``, copy it into the archive store and register it.

    The file is never modified or removed. The database rows are written in one transaction;
    if it fails, a file this call copied into the store is removed again, so that there is
    never a row without its file nor a stored file without its row.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to the soxsvo database, not inside a transaction.
    path : Path
        A Phase 3 product (FITS).
    config : ArchiveConfig
        Store location, base URL and archive defaults.
    validate : bool
        Check the Phase 3 rules first (the default; turn off only for already-validated files).

    Raises
    ------
    RegistrationError
        When the file is unreadable or invalid; nothing is registered.
    """
    path = Path(path)
    try:
        sha256, md5, size = file_checksums(path)
        headers = obscore_map.read_headers(path)
    except (OSError, ValueError) as exc:
        raise RegistrationError(f"{path}: cannot read: {exc}") from None
    if validate:
        _validate(path)
    existing = conn.execute(
        "SELECT publisher_did, dp_id FROM soxs.product WHERE sha256 = %s", (sha256,)
    ).fetchone()
    conn.rollback()
    if existing:
        return Registration(existing[0], existing[1], created=False)
    target = stored_path(config.store, sha256)
    copied = _copy_into_store(path, target)
    try:
        with conn.transaction():
            return _write_rows(conn, headers, config, sha256=sha256, md5=md5, size=size,
                               target=target, source=path)
    except BaseException:
        if copied:
            target.unlink(missing_ok=True)
        raise
