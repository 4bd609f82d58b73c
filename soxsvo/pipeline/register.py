"""Register a Phase 3 product: validate, store by checksum, write its rows in one transaction.

This is the one path by which products enter the archive: ``soxsvo ingest``, the directory
watcher and the demo generator all call :func:`register_product`.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from soxsvo.pipeline import ancillary, obscore_map
from soxsvo.pipeline.ancillary import Associated
from soxsvo.pipeline.obscore_map import ProductHeaders


class RegistrationError(Exception):
    """The product was not registered; the message says why. Nothing was written.

    Parameters
    ----------
    message : str
        Why, in one or a few lines.
    report : dict, optional
        The validator's report (``ValidationReport.to_dict()``) when the product is invalid.
    retryable : bool
        True when the product itself may be fine and the failure came from its surroundings
        (database unreachable, store full): a watcher keeps such a file for a later attempt
        instead of rejecting it.
    """

    def __init__(self, message: str, *, report: dict | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.report = report
        self.retryable = retryable


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


def _copy_into_store(source: Path, target: Path, sha256: str) -> bool:
    """Copy atomically (temp file + rename), checking the bytes are those validated.

    Returns False if the file was already there. The source is hashed while it is copied:
    a file rewritten since it was checksummed must not enter the store under the old
    checksum. Every failure removes the temporary file and raises :class:`RegistrationError`.
    """
    if target.exists():
        return False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(handle)
    except OSError as exc:
        raise RegistrationError(f"cannot write into the archive store: {exc}",
                                retryable=True) from None
    try:
        shutil.copyfile(source, temp)
        if file_checksums(Path(temp))[0] != sha256:
            raise RegistrationError(f"{source.name} changed while it was being ingested")
        os.replace(temp, target)
    except FileNotFoundError:
        Path(temp).unlink(missing_ok=True)
        raise RegistrationError(f"{source}: disappeared while it was being ingested") from None
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        # ENOSPC, EDQUOT, EIO: the store's fault, not the product's; the file may be retried.
        raise RegistrationError(f"cannot copy {source.name} into the archive store: "
                                f"{exc.strerror or exc}", retryable=True) from None
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


def _ensure_observation(conn: psycopg.Connection, mapped: dict) -> None:
    conn.execute(
        "INSERT INTO soxs.observation (obs_id, ob_id, proposal_id, night, arm, target_name, ra, "
        "dec, mjd_start, mjd_end, exptime) VALUES (%s, %s, %s, %s, 'BOTH', %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (obs_id) DO NOTHING",
        mapped["observation"],
    )


def map_headers(headers: ProductHeaders) -> dict:
    """Everything registration derives from the headers alone (ObsCore row with placeholder
    identifiers, observation row, arm): the astropy-heavy part, done before the transaction.

    Raises
    ------
    RegistrationError
        When a value the archive needs is missing or of the wrong type.
    """
    try:
        obs_id = obscore_map.observation_id(headers)
        obids = headers.indexed("OBID")
        mjd_obs, mjd_end = float(headers.get("MJD-OBS")), float(headers.get("MJD-END"))
        row = obscore_map.obscore_row(headers, dp_id="", publisher_did="?", size_bytes=0,
                                      access_url="", collection="", released=datetime.now())
        observation = (obs_id, obids[0] if obids else 0, headers.get("PROG_ID"),
                       obscore_map.night_of(mjd_obs), headers.get("OBJECT"),
                       float(headers.get("RA")) % 360.0, float(headers.get("DEC")),
                       mjd_obs, mjd_end, float(headers.get("TEXPTIME")))
    except (TypeError, ValueError, KeyError) as exc:
        raise RegistrationError(f"headers do not map onto the archive: {exc}") from None
    return {"obs_id": obs_id, "row": row, "observation": observation, "mjd_end": mjd_end,
            "prog_id": headers.get("PROG_ID"), "arm": obscore_map.product_arm(headers),
            "procsoft": headers.get("PROCSOFT", "")}


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


def _write_rows(conn, headers, config, *, sha256, md5, size, target, source,
                mapped, associated) -> Registration:
    obs_id = mapped["obs_id"]
    months = _ensure_programme(conn, mapped["prog_id"], config.proprietary_months)
    _ensure_observation(conn, mapped)
    dp_id = _new_dp_id(conn)
    did = f"ivo://{config.authority}/ID?{dp_id}"
    released = obscore_map.release_date(mapped["mjd_end"], months)
    row = dict(mapped["row"])
    row.update({
        "obs_publisher_did": did, "publisher_id": did.split("?")[0], "dp_id": dp_id,
        "access_url": obscore_map.datalink_url(config.base_url, did),
        "access_estsize": max(1, math.ceil(size / 1000)), "obs_collection": config.collection,
        "obs_release_date": released,
        "data_rights": "public" if released <= datetime.now(UTC).replace(tzinfo=None)
        else "proprietary",
    })
    previous = _current_version(conn, obs_id, row["dataproduct_subtype"], row["prodcatg"])
    _insert_row(conn, "soxs.product", {
        "publisher_did": did, "dp_id": dp_id, "obs_id": obs_id, "prodcatg": row["prodcatg"],
        "arm": mapped["arm"], "file_path": str(target),
        "original_name": source.name, "sha256": sha256, "md5": md5, "file_size": size,
        "procsoft": mapped["procsoft"], "version": previous[1] + 1 if previous else 1,
    })
    _insert_row(conn, "ivoa.obscore", row)
    _record_provenance(conn, did, headers)
    _record_associated(conn, did, headers, associated)
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


def _record_associated(conn: psycopg.Connection, did: str, headers: ProductHeaders,
                       associated: list[Associated]) -> None:
    for entry in {entry.name: entry for entry in associated}.values():
        conn.execute(
            "INSERT INTO soxs.ancillary (publisher_did, name, category, md5, file_path, sha256, "
            "file_size) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (did, entry.name, entry.category, entry.md5, entry.file_path, entry.sha256,
             entry.file_size),
        )
    for name, category in ancillary.calibrations(headers):
        conn.execute(
            "INSERT INTO soxs.calibration (publisher_did, name, category) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING", (did, name, category))


def _store_associated(product: Path, headers: ProductHeaders, store: Path,
                      created: list[Path]) -> list[Associated]:
    """Copy the associated files delivered beside ``product`` into the store.

    Paths this call newly created are appended to ``created`` (removed again if the
    registration fails). A delivered file whose MD5 differs from its ``ASSOMi`` is refused: it
    is not the file the product names.
    """
    stored = []
    for entry in ancillary.associated_entries(headers):
        source = ancillary.source_of(entry, product)
        if source is None:
            stored.append(entry)
            continue
        sha256, md5, size = file_checksums(source)
        if entry.md5 and entry.md5 != md5:
            raise RegistrationError(f"{product.name}: associated file {entry.name} has MD5 "
                                    f"{md5}, not the {entry.md5} the product names")
        target = ancillary.ancillary_store_path(store, sha256, entry.name)
        if _copy_into_store(source, target, sha256):
            created.append(target)
        stored.append(replace(entry, file_path=str(target), sha256=sha256, file_size=size))
    return stored


#: Key of the transaction-level advisory lock every registration holds: it serialises the
#: choice of ADP names, the duplicate check and version superseding between processes
#: (``soxsvo ingest`` and ``soxsvo watch`` may run at once); each holds it for milliseconds.
_REGISTRATION_LOCK = 0x50C5_0003


@dataclass(frozen=True)
class PreparedProduct:
    """A product checked and read, ready for :func:`commit_prepared` (picklable, so that the
    expensive part can run in a worker process)."""

    path: Path
    sha256: str
    md5: str
    size: int
    headers: ProductHeaders
    mapped: dict


def prepare_product(path: Path, *, validate: bool = True) -> PreparedProduct:
    """Checksum, validate and read a product without touching the database or the store.

    Parameters
    ----------
    path : Path
        A Phase 3 product (FITS).
    validate : bool
        Check the Phase 3 rules (default).

    Returns
    -------
    PreparedProduct
        Checksums, size and the headers registration needs.

    Raises
    ------
    RegistrationError
        When the file is missing, unreadable or invalid (``report`` holds the validator's
        report then).
    """
    path = Path(path)
    try:
        sha256, md5, size = file_checksums(path)
    except FileNotFoundError:
        raise RegistrationError(f"{path}: no such file (removed before it was ingested?)") \
            from None
    except OSError as exc:
        raise RegistrationError(f"{path}: cannot read: {exc}") from None
    if validate:
        from soxsvo.pipeline.validate import validate_product

        report = validate_product(path)
        if not report.ok:
            raise RegistrationError(
                f"{path.name} is not a valid Phase 3 product:\n{report.to_text()}",
                report=report.to_dict())
    try:
        with warnings.catch_warnings():
            # Truncation and non-standard cards are the validator's business; here a file
            # that cannot be read at all is simply refused.
            warnings.simplefilter("ignore")
            headers = obscore_map.read_headers(path)
    except Exception as exc:  # astropy raises many types for damaged files
        raise RegistrationError(f"{path}: cannot read its headers: {exc}") from None
    return PreparedProduct(path, sha256, md5, size, headers, map_headers(headers))


def _existing(conn: psycopg.Connection, sha256: str) -> Registration | None:
    row = conn.execute(
        "SELECT publisher_did, dp_id FROM soxs.product WHERE sha256 = %s", (sha256,)
    ).fetchone()
    return Registration(row[0], row[1], created=False) if row else None


def commit_prepared(conn: psycopg.Connection, prepared: PreparedProduct,
                    config: ArchiveConfig) -> Registration:
    """Copy a prepared product into the store and write its rows in one transaction.

    The whole step holds :data:`_REGISTRATION_LOCK`, so that two registrations of the same
    file (or of two versions of one product) cannot interleave. If the transaction fails, the
    file this call copied into the store is removed again: there is never a row without its
    file nor a stored file without its row (a process killed between copy and commit can leave
    an unreferenced stored file; registering the product again reuses it).

    Raises
    ------
    RegistrationError
        File gone or changed, store full, database lost (``retryable`` for the latter two),
        or headers that cannot be mapped onto ObsCore.
    """
    target = stored_path(config.store, prepared.sha256)
    copied = False
    created: list[Path] = []
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_REGISTRATION_LOCK,))
            existing = _existing(conn, prepared.sha256)
            if existing:
                return existing
            copied = _copy_into_store(prepared.path, target, prepared.sha256)
            associated = _store_associated(prepared.path, prepared.headers, config.store,
                                           created)
            return _write_rows(conn, prepared.headers, config, sha256=prepared.sha256,
                               md5=prepared.md5, size=prepared.size, target=target,
                               source=prepared.path, mapped=prepared.mapped,
                               associated=associated)
    except BaseException as exc:
        if copied:
            target.unlink(missing_ok=True)
        for path in created:
            path.unlink(missing_ok=True)
        if isinstance(exc, RegistrationError):
            raise
        if isinstance(exc, psycopg.OperationalError):
            raise RegistrationError(f"{prepared.path.name}: database connection lost, nothing "
                                    f"registered: {str(exc).strip()}", retryable=True) from None
        if isinstance(exc, psycopg.errors.DataError | psycopg.errors.IntegrityError
                      | ValueError | TypeError | KeyError):
            raise RegistrationError(f"{prepared.path.name}: headers do not map onto the "
                                    f"archive: {str(exc).strip()}") from None
        raise


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
