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

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from soxsvo.archive import obscore_map
from soxsvo.archive.prepare import (
    PreparedAncillary,
    PreparedProduct,
    RegistrationError,
    map_headers,
    prepare_product,
)
from soxsvo.archive.store import (
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
    #: Programme ids (or prefixes of them) that are consortium programmes, and their period.
    consortium_programmes: tuple[str, ...] = ()
    consortium_months: int = 12
    #: Free bytes the store's disk keeps; a file that would eat into them is refused.
    min_free_bytes: int = 0

    def default_months(self, proposal_id: str) -> tuple[bool, int]:
        """(consortium?, proprietary months) of a programme registration creates."""
        if any(proposal_id.startswith(p) for p in self.consortium_programmes):
            return True, self.consortium_months
        return False, self.proprietary_months

    @classmethod
    def from_settings(cls, settings) -> ArchiveConfig:
        """Build from soxsvo Settings (``[archive]`` section and data dir)."""
        archive = settings.archive
        return cls(
            store=settings.data_path / "archive",
            base_url=settings.public_url,
            collection=archive.collection,
            authority=archive.authority,
            proprietary_months=archive.proprietary_months,
            consortium_programmes=tuple(archive.consortium_programmes),
            consortium_months=archive.consortium_proprietary_months,
            min_free_bytes=archive.min_free_bytes,
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


_OBSERVATION_COLUMNS = ("obs_id", "ob_id", "proposal_id", "night", "target_name", "ra", "dec",
                        "mjd_start", "mjd_end", "exptime")
_PRODUCT_COLUMNS = ("publisher_did", "dp_id", "obs_id", "prodcatg", "arm", "file_path",
                    "original_name", "sha256", "md5", "file_size", "procsoft", "version")


@functools.lru_cache(maxsize=8)
def _rows_query(obscore_columns: tuple[str, ...]) -> str:
    """:func:`_rows_statement` as text with PostgreSQL's ``$n`` placeholders, composed once,
    for a :class:`psycopg.RawCursor`: psycopg re-renders a ``Composed`` at every execution,
    and re-parses a ``%s`` query of more than 50 parameters every time (together ~1 ms a
    product in the one process that commits). The names are plain lower-case identifiers,
    so their quoting does not depend on the connection."""
    text = _rows_statement(obscore_columns).as_string()
    numbers = itertools.count(1)
    return re.sub("%s", lambda _match: f"${next(numbers)}", text)


def _rows_statement(obscore_columns: tuple[str, ...]) -> sql.Composed:
    """All rows of one product in one statement (one round trip): observation (if new),
    product, ObsCore row, provenance, ancillary files, master calibrations, and the
    superseding of the previous
    version (matching nothing when there is none). The foreign keys between these rows are
    checked at the end of the statement, when all of them exist."""
    def values(n: int) -> sql.Composable:
        return sql.SQL(", ").join(sql.Placeholder() * n)

    def columns(names) -> sql.Composable:
        return sql.SQL(", ").join(map(sql.Identifier, names))

    return sql.SQL(
        "WITH obs AS (INSERT INTO soxs.observation ({obs_cols}, arm) VALUES ({obs_vals}, 'BOTH') "
        "ON CONFLICT (obs_id) DO NOTHING), "
        "prod AS (INSERT INTO soxs.product ({prod_cols}) VALUES ({prod_vals})), "
        "core AS (INSERT INTO ivoa.obscore ({core_cols}) VALUES ({core_vals})), "
        "prov AS (INSERT INTO soxs.provenance (publisher_did, raw_arcfile, known) "
        "SELECT %s, a, EXISTS (SELECT 1 FROM soxs.raw_frame r WHERE r.arcfile = a) "
        "FROM unnest(%s::text[]) AS a), "
        "anc AS (INSERT INTO soxs.ancillary (publisher_did, name, category, md5, file_path, "
        "content_type, sha256, file_size) SELECT %s, * FROM unnest(%s::text[], %s::text[], "
        "%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[])), "
        "cal AS (INSERT INTO soxs.calibration (publisher_did, name, category) "
        "SELECT %s, * FROM unnest(%s::text[], %s::text[])), "
        "old_product AS (UPDATE soxs.product SET status = 'obsolete', superseded_by = %s "
        "WHERE publisher_did = %s), "
        "old_obscore AS (UPDATE ivoa.obscore SET superseded = true, last_mod_date = now() "
        "WHERE obs_publisher_did = %s) "
        "SELECT 1"
    ).format(obs_cols=columns(_OBSERVATION_COLUMNS), obs_vals=values(len(_OBSERVATION_COLUMNS)),
             prod_cols=columns(_PRODUCT_COLUMNS), prod_vals=values(len(_PRODUCT_COLUMNS)),
             core_cols=columns(obscore_columns), core_vals=values(len(obscore_columns)))


class _Batch:
    """State shared by the products of one transaction, read once under the registration
    lock: products already registered (by checksum), current versions, programmes, the last
    ADP name; and the store files copied (removed again if the transaction does not commit).
    """

    def __init__(self, conn: psycopg.Connection, config: ArchiveConfig, journal: Journal,
                 products: Sequence[PreparedProduct]):
        self.conn, self.config, self.journal = conn, config, journal
        self.copied: list[Path] = []
        self.registered = {sha: Registration(did, dp_id, created=False) for sha, did, dp_id in
                           conn.execute("SELECT sha256, publisher_did, dp_id FROM soxs.product "
                                        "WHERE sha256 = ANY(%s)",
                                        ([p.sha256 for p in products],)).fetchall()}
        products = [p for p in products if not p.known]  # only checksummed: nothing to map
        keys = {_version_key(p) for p in products}
        self.current = {(obs_id, subtype, catg): (did, version)
                        for obs_id, subtype, catg, did, version in conn.execute(
            "SELECT o.obs_id, o.dataproduct_subtype, o.prodcatg, p.publisher_did, p.version "
            "FROM soxs.product p JOIN ivoa.obscore o ON o.obs_publisher_did = p.publisher_did "
            "WHERE o.obs_id = ANY(%s) AND p.status = 'current' FOR UPDATE OF p",
            ([k[0] for k in keys],)).fetchall() if (obs_id, subtype, catg) in keys}
        self.months = self._programmes({p.mapped["prog_id"] for p in products})
        self._last_stamp: datetime | None = None

    def _programmes(self, proposal_ids: set) -> dict[str, int]:
        """Proprietary months of each programme; one not known yet is created with the
        default of its kind (consortium or not, see :class:`ArchiveConfig`)."""
        ids = sorted(i for i in proposal_ids if i is not None)
        kinds = [self.config.default_months(i) for i in ids]
        self.conn.execute(
            "INSERT INTO soxs.programme (proposal_id, consortium, proprietary_months) "
            "SELECT * FROM unnest(%s::text[], %s::boolean[], %s::int[]) "
            "ON CONFLICT (proposal_id) DO NOTHING",
            (ids, [k[0] for k in kinds], [k[1] for k in kinds]))
        return dict(self.conn.execute(
            "SELECT proposal_id, proprietary_months FROM soxs.programme "
            "WHERE proposal_id = ANY(%s)", (ids,)).fetchall())

    def new_dp_id(self) -> str:
        """An ESO-style archive name ``ADP.<UTC timestamp>`` not used yet (milliseconds
        bumped when two products register in the same millisecond). Looked up once per
        batch: the registration lock keeps other processes from taking names meanwhile."""
        now = datetime.now(UTC).replace(tzinfo=None)
        stamp = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_stamp is None:
            # Only names of this form count: products registered otherwise (imported, or
            # bulk-loaded) may carry archive names that are not timestamps.
            latest = self.conn.execute(
                "SELECT max(dp_id) FROM soxs.product WHERE dp_id >= %s "
                r"AND dp_id ~ '^ADP\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$'",
                ("ADP." + stamp.isoformat(timespec="milliseconds"),)).fetchone()[0]
            if latest:
                stamp = max(stamp, datetime.fromisoformat(latest[4:]) + timedelta(milliseconds=1))
        else:
            stamp = max(stamp, self._last_stamp + timedelta(milliseconds=1))
        self._last_stamp = stamp
        return "ADP." + stamp.isoformat(timespec="milliseconds")

    def store(self, source: Path, sha256: str, suffix: str, copied: list[Path]) -> Path:
        """Copy ``source`` into the store (recorded in ``copied`` when this call wrote it)."""
        target = stored_path(self.config.store, sha256, suffix)
        if copy_into_store(source, target, sha256, self.journal, self.config.min_free_bytes):
            copied.append(target)
        return target


def _version_key(prepared: PreparedProduct) -> tuple:
    """What makes two products versions of one another: observation, arm, category."""
    row = prepared.mapped["row"]
    return prepared.mapped["obs_id"], row["dataproduct_subtype"], row["prodcatg"]


def _ancillary_columns(batch: _Batch, ancillaries: Sequence[PreparedAncillary],
                       copied: list[Path]) -> list[list]:
    """Copy each associated file into the store; its row values, column by column."""
    rows = []
    for anc in ancillaries:
        target = None
        if anc.path is not None:
            target = batch.store(anc.path, anc.sha256, Path(anc.name).suffix or ".bin", copied)
        rows.append((anc.name, anc.category, anc.md5, str(target) if target else None,
                     anc.content_type, anc.sha256, anc.size))
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 7


def _insert_rows(conn: psycopg.Connection, prepared: PreparedProduct, statement: str,
                 params: list) -> None:
    """Write the rows of one product (a function of its own: the fault tests interrupt
    registration here, after the store copies)."""
    psycopg.RawCursor(conn).execute(statement, params)


def _write_rows(batch: _Batch, prepared: PreparedProduct, copied: list[Path]) -> Registration:
    config, mapped = batch.config, prepared.mapped
    if prepared.sha256 in batch.registered:
        return batch.registered[prepared.sha256]
    if prepared.known:
        raise RegistrationError(f"{prepared.path.name}: was registered when this run started, "
                                "but is no longer; ingest it again", retryable=True)
    target = batch.store(prepared.path, prepared.sha256, ".fits", copied)
    ancillary = _ancillary_columns(batch, prepared.ancillaries, copied)
    dp_id = batch.new_dp_id()
    did = f"ivo://{config.authority}/ID?{dp_id}"
    released = obscore_map.release_date(mapped["mjd_end"], batch.months[mapped["prog_id"]])
    row = dict(mapped["row"])
    row.update({
        "obs_publisher_did": did, "publisher_id": did.split("?")[0], "dp_id": dp_id,
        "access_url": obscore_map.datalink_url(config.base_url, did),
        "access_estsize": max(1, math.ceil(prepared.size / 1000)),
        "obs_collection": config.collection, "obs_release_date": released,
        "data_rights": "public" if released <= datetime.now(UTC).replace(tzinfo=None)
        else "proprietary",
    })
    key = _version_key(prepared)
    previous = batch.current.get(key)
    product = (did, dp_id, mapped["obs_id"], row["prodcatg"], mapped["arm"], str(target),
               prepared.path.name, prepared.sha256, prepared.md5, prepared.size,
               mapped["procsoft"], previous[1] + 1 if previous else 1)
    old = previous[0] if previous else None
    _insert_rows(batch.conn, prepared, _rows_query(tuple(row)), [
        *mapped["observation"], *product, *row.values(), did, list(prepared.provenance),
        did, *ancillary, did, [name for name, _ in prepared.calibrations],
        [category for _, category in prepared.calibrations], did, old, old])
    registration = Registration(did, dp_id, True, old)
    batch.current[key] = (did, previous[1] + 1 if previous else 1)
    batch.registered[prepared.sha256] = Registration(did, dp_id, created=False)
    return registration


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


class _AbortBatchError(Exception):
    """A statement of one product failed: the transaction is lost, the batch is redone."""

    def __init__(self, error: RegistrationError) -> None:
        super().__init__(str(error))
        self.error = error


def commit_batch(conn: psycopg.Connection, products: Sequence[PreparedProduct],
                 config: ArchiveConfig) -> list[Registration | RegistrationError]:
    """Copy prepared products into the store and write their rows, in one transaction.

    The transaction holds the registration lock, so that two registrations of the same file
    (or of two versions of one product) cannot interleave; each product's rows are one
    statement. A product whose copy into the store fails is left out (nothing of it was
    written). If a product's statement fails, the transaction is rolled back, its copies are
    removed, and the products are registered again one transaction each, so that only the
    faulty one is refused. If the transaction itself fails (database lost, commit refused)
    every file it copied is removed and every product is reported as not registered. A
    process killed before the commit leaves its journal, which
    :func:`soxsvo.archive.store.sweep_inflight` uses to remove the copies.

    Returns
    -------
    list
        Per product, in order: its :class:`Registration` (``created`` False when the same
        bytes were registered before) or the :class:`RegistrationError` saying why not.
    """
    if not products:
        return []
    copied: list[Path] = []
    with Journal(config.store) as journal:  # outlives the removal of the copies below
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRATION_LOCK,))
                batch = _Batch(conn, config, journal, products)
                return [_register_one(batch, prepared, copied) for prepared in products]
        except _AbortBatchError as abort:
            _unlink_all(copied)
            if len(products) == 1:
                return [abort.error]
        except psycopg.OperationalError as exc:
            _unlink_all(copied)
            return [_as_registration_error(exc, p.path) for p in products]
        except BaseException:
            _unlink_all(copied)
            raise
    return [commit_batch(conn, [prepared], config)[0] for prepared in products]


def _register_one(batch: _Batch, prepared: PreparedProduct,
                  copied: list[Path]) -> Registration | RegistrationError:
    mine: list[Path] = []
    try:
        registration = _write_rows(batch, prepared, mine)
    except (StoreError, RegistrationError) as exc:
        # Raised by a copy, before this product's statement: the database has nothing of it.
        _unlink_all(mine)
        return _as_registration_error(exc, prepared.path)
    except psycopg.OperationalError:
        copied.extend(mine)
        raise
    except BaseException as exc:
        copied.extend(mine)
        error = _as_registration_error(exc, prepared.path)
        if error is None:
            raise
        raise _AbortBatchError(error) from None
    copied.extend(mine)
    return registration


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
