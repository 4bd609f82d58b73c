"""The part of registration that needs no database: checksums, validation, header mapping.

The file is opened once: the Phase 3 rules and the header → ObsCore mapping read the same
parsed headers. The result, :class:`PreparedProduct`, holds plain values only (no astropy
objects), so that sending it back from a worker process is cheap.

ESO-044286 §2.4 names associated files (2D spectrum, sky spectrum, ...) in the product header
(``ASSONi``/``ASSOCi``/``ASSOMi``) and delivers them beside the product: they are checksummed
here (and refused with their product when the MD5 differs from ``ASSOMi``), copied into the
store at registration, and offered by DataLink (``#auxiliary``); those not delivered are still
recorded, without a file. Master calibrations are known only where the header names them
(``ESO PRO REC1 CALi NAME``/``CATG``, as ESO pipelines write them; DataLink ``#calibration``).
"""

from __future__ import annotations

import warnings
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from soxsvo.archive import obscore_map
from soxsvo.archive.obscore_map import ProductHeaders
from soxsvo.archive.store import bytes_checksums, content_type, file_checksums
from soxsvo.errors import InputError

__all__ = ["PreparedAncillary", "PreparedProduct", "RegistrationError", "map_headers",
           "prepare_product"]


class RegistrationError(InputError):
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
class PreparedAncillary:
    """An associated file (``ASSONi``) as found beside its product.

    ``path`` is None when the product names a file that is not there (the row is written
    anyway, without a stored copy: the gap is recorded, not hidden).
    """

    name: str
    category: str
    path: Path | None = None
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class PreparedProduct:
    """A product checked and read, ready for the registration transaction."""

    path: Path
    sha256: str
    md5: str
    size: int
    mapped: dict
    provenance: tuple[str, ...] = ()
    ancillaries: tuple[PreparedAncillary, ...] = field(default=())
    #: ``(name, category)`` of the master calibrations the header names.
    calibrations: tuple[tuple[str, str], ...] = ()
    #: Only checksummed: the same bytes were registered before (``mapped`` is empty).
    known: bool = False


def map_headers(headers: ProductHeaders) -> dict:
    """Everything registration derives from the headers alone (ObsCore row with placeholder
    identifiers, observation row, arm), computed before the transaction.

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


def _ancillaries(path: Path, headers: ProductHeaders) -> tuple[PreparedAncillary, ...]:
    """The files named by ``ASSONi`` (with ``ASSOCi`` category, ``ASSOMi`` MD5), looked for
    beside the product."""
    names, categories = headers.indexed("ASSON"), headers.indexed("ASSOC")
    md5s = headers.indexed("ASSOM")
    found, seen = [], set()
    for index, name in enumerate(names):
        name = str(name).strip()
        if name in seen:  # one row per name (the table's key): the first entry counts
            continue
        seen.add(name)
        category = str(categories[index]) if index < len(categories) else "ANCILLARY"
        if not name or Path(name).name != name or name in (".", ".."):
            raise RegistrationError(f"{path.name}: ASSON{index + 1} = {name!r} is not a plain "
                                    "file name beside the product")
        source = path.parent / name
        try:
            sha256, md5, size = file_checksums(source)
        except FileNotFoundError:
            found.append(PreparedAncillary(name, category, content_type=content_type(name)))
            continue
        except OSError as exc:
            raise RegistrationError(f"{path.name}: cannot read its associated file {name}: "
                                    f"{exc}") from None
        declared = str(md5s[index]).strip().lower() if index < len(md5s) and md5s[index] else ""
        if declared and declared != md5:
            raise RegistrationError(f"{path.name}: associated file {name} does not match its "
                                    f"ASSOM{index + 1} (MD5 {md5}, declared {declared})")
        found.append(PreparedAncillary(name, category, source, sha256, md5, size,
                                       content_type(name)))
    return tuple(found)


def _calibrations(headers: ProductHeaders) -> tuple[tuple[str, str], ...]:
    """``(name, category)`` of the master calibrations the header names, in order, one per
    name."""
    found: dict[str, str] = {}
    index = 1
    while (name := headers.get(f"HIERARCH ESO PRO REC1 CAL{index} NAME")) is not None:
        category = headers.get(f"HIERARCH ESO PRO REC1 CAL{index} CATG") or ""
        found.setdefault(str(name), str(category))
        index += 1
    return tuple(found.items())


def prepare_product(path: Path, *, validate: bool = True,
                    known: Container[str] = ()) -> PreparedProduct:
    """Checksum, validate and read a product without touching the database or the store.

    The file is read once: its bytes are checksummed and parsed from memory
    (:func:`~soxsvo.phase3.snapshot.read_product`).

    Parameters
    ----------
    path : Path
        A Phase 3 product (FITS).
    validate : bool
        Check the Phase 3 rules (default).
    known : container of str
        SHA-256 digests of files registered already: such a file is only checksummed (its
        :attr:`PreparedProduct.known` is True), since registering it changes nothing.

    Returns
    -------
    PreparedProduct
        Checksums, size, the mapped headers, provenance, associated files and master
        calibrations.

    Raises
    ------
    RegistrationError
        When the file is missing, unreadable or invalid (``report`` holds the validator's
        report then).
    """
    from soxsvo.phase3.snapshot import read_product
    from soxsvo.phase3.validate import validate_context

    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RegistrationError(f"{path}: no such file (removed before it was ingested?)") \
            from None
    except OSError as exc:
        raise RegistrationError(f"{path}: cannot read: {exc}") from None
    sha256, md5, size = bytes_checksums(raw)
    if sha256 in known:
        return PreparedProduct(path, sha256, md5, size, {}, known=True)
    ctx = read_product(path, raw)
    try:
        if validate:
            report = validate_context(ctx)
            if not report.ok:
                raise RegistrationError(
                    f"{path.name} is not a valid Phase 3 product:\n{report.to_text()}",
                    report=report.to_dict())
        if not ctx.readable:
            raise RegistrationError(f"{path}: cannot read its headers: {ctx.open_error}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-standard cards are the validator's business
            others = ctx.hdu_headers()
            headers = ProductHeaders(ctx.primary, ctx.extension if ctx.has_table
                                     else (others[1] if len(others) > 1 else None))
            mapped = map_headers(headers)
            provenance = tuple(dict.fromkeys(str(v) for v in headers.indexed("PROV")))
            ancillaries = _ancillaries(path, headers)
            calibrations = _calibrations(headers)
    finally:
        ctx.close()
    return PreparedProduct(path, sha256, md5, size, mapped, provenance, ancillaries,
                           calibrations)
