"""Register a Phase 3 product: validate, store by checksum, write its rows in one transaction.

This is the one path by which products enter the archive: ``soxsvo ingest``, the directory
watcher and the demo generator all call :func:`prepare_product` (checksums, validation,
header mapping: no database, may run in a worker process) and then :func:`commit_batch`
(store copies and rows). ``register_product`` does both for one file.

A batch is one database transaction with one savepoint per product: a product that fails
rolls back to its savepoint (and its store copies are removed) while the others go on, and
nothing is reported as registered before the commit. One commit for many products saves
the commit's flush to disk per product, the largest fixed cost of a registration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from soxsvo.pipeline import obscore_map
from soxsvo.pipeline.prepare import (
    PreparedAncillary,
    PreparedProduct,
    RegistrationError,
    map_headers,
    prepare_product,
)
from soxsvo.pipeline.store import (
    REGISTRATION_LOCK,
    Journal,
    StoreError,
    copy_into_store,
    file_checksums,
    stored_path,
)

__all__ = ["ArchiveConfig", "PreparedProduct", "Registration", "RegistrationError",
           "commit_batch", "commit_prepared", "file_checksums", "map_headers",
           "prepare_product", "register_product", "stored_path"]


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


def _ensure_observation(conn: psycopg.Connection, mapped: dict) -> None:
    conn.execute(
        "INSERT INTO soxs.observation (obs_id, ob_id, proposal_id, night, arm, target_name, ra, "
        "dec, mjd_start, mjd_end, exptime) VALUES (%s, %s, %s, %s, 'BOTH', %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (obs_id) DO NOTHING",
        mapped["observation"],
    )


def _insert_row(conn: psycopg.Connection, table: str, row: dict) -> None:
    schema, name = table.split(".")
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(schema, name),
        sql.SQL(", ").join(map(sql.Identifier, row)),
        sql.SQL(", ").join(sql.Placeholder() * len(row)),
    )
    conn.execute(statement, list(row.values()))




class _Batch:
    """State shared by the products of one transaction: ADP names handed out, programmes
    seen, store files copied (to remove again if the transaction does not commit)."""

    def __init__(self, conn: psycopg.Connection, config: ArchiveConfig, journal: Journal):
        self.conn, self.config, self.journal = conn, config, journal
        self.months: dict[str, int] = {}
        self.copied: list[Path] = []
        self._last_stamp: datetime | None = None

    def new_dp_id(self) -> str:
        """An ESO-style archive name ``ADP.<UTC timestamp>`` not used yet (milliseconds
        bumped when two products register in the same millisecond). Looked up once per
        batch: the registration lock keeps other processes from taking names meanwhile."""
        stamp = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        stamp = stamp.replace(microsecond=datetime.now(UTC).microsecond // 1000 * 1000)
        if self._last_stamp is None:
            latest = self.conn.execute(
                "SELECT max(dp_id) FROM soxs.product WHERE dp_id >= %s",
                ("ADP." + stamp.isoformat(timespec="milliseconds"),)).fetchone()[0]
            if latest:
                stamp = max(stamp, datetime.fromisoformat(latest[4:]) + timedelta(milliseconds=1))
        else:
            stamp = max(stamp, self._last_stamp + timedelta(milliseconds=1))
        self._last_stamp = stamp
        return "ADP." + stamp.isoformat(timespec="milliseconds")

    def programme_months(self, proposal_id: str) -> int:
        """Proprietary months of a programme, created with the default if new."""
        if proposal_id not in self.months:
            self.conn.execute(
                "INSERT INTO soxs.programme (proposal_id, proprietary_months) VALUES (%s, %s) "
                "ON CONFLICT (proposal_id) DO NOTHING",
                (proposal_id, self.config.proprietary_months))
            self.months[proposal_id] = self.conn.execute(
                "SELECT proprietary_months FROM soxs.programme WHERE proposal_id = %s",
                (proposal_id,)).fetchone()[0]
        return self.months[proposal_id]

    def store(self, source: Path, sha256: str, suffix: str, copied: list[Path]) -> Path:
        """Copy ``source`` into the store (recorded in ``copied`` when this call wrote it)."""
        target = stored_path(self.config.store, sha256, suffix)
        if copy_into_store(source, target, sha256, self.journal):
            copied.append(target)
        return target


def _existing(conn: psycopg.Connection, sha256: str) -> Registration | None:
    row = conn.execute(
        "SELECT publisher_did, dp_id FROM soxs.product WHERE sha256 = %s", (sha256,)
    ).fetchone()
    return Registration(row[0], row[1], created=False) if row else None


def _current_version(conn, obs_id: str, subtype: str | None, prodcatg: str):
    return conn.execute(
        "SELECT p.publisher_did, p.version FROM soxs.product p "
        "JOIN ivoa.obscore o ON o.obs_publisher_did = p.publisher_did "
        "WHERE o.obs_id = %s AND o.dataproduct_subtype IS NOT DISTINCT FROM %s "
        "AND o.prodcatg = %s AND p.status = 'current' FOR UPDATE OF p",
        (obs_id, subtype, prodcatg),
    ).fetchone()


def _record_provenance(conn: psycopg.Connection, did: str, prepared: PreparedProduct) -> None:
    """PROVi rows (``known`` says whether the raw frame is in the archive)."""
    if prepared.provenance:
        conn.execute(
            "INSERT INTO soxs.provenance (publisher_did, raw_arcfile, known) "
            "SELECT %s, a, EXISTS (SELECT 1 FROM soxs.raw_frame r WHERE r.arcfile = a) "
            "FROM unnest(%s::text[]) AS a",
            (did, list(prepared.provenance)))


def _record_ancillaries(batch: _Batch, did: str, ancillaries: Sequence[PreparedAncillary],
                        copied: list[Path]) -> None:
    """Copy each associated file into the store and write its ``soxs.ancillary`` row."""
    rows = []
    for anc in ancillaries:
        target = None
        if anc.path is not None:
            target = batch.store(anc.path, anc.sha256, Path(anc.name).suffix or ".bin", copied)
        rows.append((anc.name, anc.category, anc.md5, str(target) if target else None,
                     anc.content_type, anc.sha256, anc.size))
    if rows:
        batch.conn.execute(
            "INSERT INTO soxs.ancillary (publisher_did, name, category, md5, file_path, "
            "content_type, sha256, file_size) "
            "SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], "
            "%s::text[], %s::text[], %s::bigint[])",
            (did, *map(list, zip(*rows, strict=True))))


def _write_rows(batch: _Batch, prepared: PreparedProduct, copied: list[Path]) -> Registration:
    conn, config, mapped = batch.conn, batch.config, prepared.mapped
    existing = _existing(conn, prepared.sha256)
    if existing:
        return existing
    target = batch.store(prepared.path, prepared.sha256, ".fits", copied)
    months = batch.programme_months(mapped["prog_id"])
    _ensure_observation(conn, mapped)
    dp_id = batch.new_dp_id()
    did = f"ivo://{config.authority}/ID?{dp_id}"
    released = obscore_map.release_date(mapped["mjd_end"], months)
    row = dict(mapped["row"])
    row.update({
        "obs_publisher_did": did, "publisher_id": did.split("?")[0], "dp_id": dp_id,
        "access_url": f"{config.base_url}/files/{quote(dp_id, safe=':')}",
        "access_estsize": max(1, math.ceil(prepared.size / 1000)),
        "obs_collection": config.collection, "obs_release_date": released,
        "data_rights": "public" if released <= datetime.now(UTC).replace(tzinfo=None)
        else "proprietary",
    })
    previous = _current_version(conn, mapped["obs_id"], row["dataproduct_subtype"],
                                row["prodcatg"])
    _insert_row(conn, "soxs.product", {
        "publisher_did": did, "dp_id": dp_id, "obs_id": mapped["obs_id"],
        "prodcatg": row["prodcatg"], "arm": mapped["arm"], "file_path": str(target),
        "original_name": prepared.path.name, "sha256": prepared.sha256, "md5": prepared.md5,
        "file_size": prepared.size, "procsoft": mapped["procsoft"],
        "version": previous[1] + 1 if previous else 1,
    })
    _insert_row(conn, "ivoa.obscore", row)
    _record_provenance(conn, did, prepared)
    _record_ancillaries(batch, did, prepared.ancillaries, copied)
    if previous:
        conn.execute(
            "UPDATE soxs.product SET status = 'obsolete', superseded_by = %s "
            "WHERE publisher_did = %s", (did, previous[0]))
        conn.execute(
            "UPDATE ivoa.obscore SET superseded = true, last_mod_date = now() "
            "WHERE obs_publisher_did = %s", (previous[0],))
    return Registration(did, dp_id, True, previous[0] if previous else None)


def _as_registration_error(exc: BaseException, path: Path) -> RegistrationError | None:
    """The user-facing error for a failure while writing ``path`` (None: not ours)."""
    if isinstance(exc, RegistrationError):
        return exc
    if isinstance(exc, StoreError):
        return RegistrationError(str(exc), retryable=exc.retryable)
    if isinstance(exc, psycopg.OperationalError):
        return RegistrationError(f"{path.name}: database connection lost, nothing registered: "
                                 f"{str(exc).strip()}", retryable=True)
    if isinstance(exc, psycopg.errors.DataError | psycopg.errors.IntegrityError
                  | ValueError | TypeError | KeyError):
        return RegistrationError(f"{path.name}: headers do not map onto the archive: "
                                 f"{str(exc).strip()}")
    return None


def _unlink_all(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def commit_batch(conn: psycopg.Connection, products: Sequence[PreparedProduct],
                 config: ArchiveConfig) -> list[Registration | RegistrationError]:
    """Copy prepared products into the store and write their rows: one transaction, one
    savepoint per product.

    The transaction holds the registration lock, so that two registrations of the same file
    (or of two versions of one product) cannot interleave. A product that fails is rolled back
    to its savepoint and the files it copied are removed; if the transaction itself fails
    (database lost, commit refused) every file it copied is removed and every product of the
    batch is reported as not registered. A process killed before the commit leaves its
    journal, which :func:`soxsvo.pipeline.store.sweep_inflight` uses to remove the copies.

    Returns
    -------
    list
        Per product, in order: its :class:`Registration` (``created`` False when the same
        bytes were registered before) or the :class:`RegistrationError` saying why not.
    """
    results: list[Registration | RegistrationError] = []
    with Journal(config.store) as journal:
        batch = _Batch(conn, config, journal)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRATION_LOCK,))
                for prepared in products:
                    copied: list[Path] = []
                    try:
                        with conn.transaction():
                            results.append(_write_rows(batch, prepared, copied))
                        batch.copied.extend(copied)
                    except psycopg.OperationalError:
                        batch.copied.extend(copied)
                        raise
                    except BaseException as exc:
                        _unlink_all(copied)
                        error = _as_registration_error(exc, prepared.path)
                        if error is None:
                            raise
                        results.append(error)
        except BaseException as exc:
            _unlink_all(batch.copied)
            if not isinstance(exc, psycopg.OperationalError):
                raise
            return [_as_registration_error(exc, p.path) for p in products]
    return results


def commit_prepared(conn: psycopg.Connection, prepared: PreparedProduct,
                    config: ArchiveConfig) -> Registration:
    """Register one prepared product in its own transaction (see :func:`commit_batch`).

    Raises
    ------
    RegistrationError
        File gone or changed, store full, database lost (``retryable`` for the latter two),
        or headers that cannot be mapped onto ObsCore.
    """
    result = commit_batch(conn, [prepared], config)[0]
    if isinstance(result, RegistrationError):
        raise result
    return result


def register_product(conn: psycopg.Connection, path: Path, config: ArchiveConfig, *,
                     validate: bool = True) -> Registration:
    """Validate ``path``, copy it (and its associated files) into the archive store and
    register it.

    The file is never modified or removed. The database rows are written in one transaction;
    if it fails, the files this call copied into the store are removed again, so that there
    is never a row without its file nor a stored file without its row.

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

    Returns
    -------
    Registration
        The product's identifiers; ``created`` is False when the same bytes were registered
        before (then nothing changed).

    Raises
    ------
    RegistrationError
        When the file is unreadable or invalid, or registration failed; nothing is registered.
    """
    return commit_prepared(conn, prepare_product(Path(path), validate=validate), config)
