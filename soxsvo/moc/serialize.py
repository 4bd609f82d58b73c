"""MOCs in and out: MOC 2.0 FITS, JSON and ASCII, and LVK sky maps read as query regions."""

from __future__ import annotations

import gzip
import io
import os
import re
import tempfile
import warnings

import numpy as np
from astropy.io import fits
from mocpy import MOC

from soxsvo.errors import InputError
from soxsvo.moc.coverage import AnyMOC
from soxsvo.moc.skymap import SkyMapError, credible_region

#: Output formats: name -> (MIME type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "fits": ("application/fits", "fits"),
    "json": ("application/json", "json"),
    "ascii": ("text/plain; charset=utf-8", "txt"),
}
#: Largest decompressed upload: gzip bombs stop here (LVK maps are a few MB).
MAX_INPUT_BYTES = 256 * 1024 * 1024
_ASCII_MOC = re.compile(r"^\s*(\d+/[\d\s,\-]*)+$")


class MOCInputError(InputError):
    """An uploaded region that is not a usable space MOC or sky map."""


def moc_bytes(moc: AnyMOC, fmt: str) -> bytes:
    """Serialise ``moc`` as MOC 2.0 ``fits``, ``json`` or ``ascii``.

    Parameters
    ----------
    moc : MOC, TimeMOC or STMOC
        The MOC.
    fmt : {"fits", "json", "ascii"}
        Serialisation.

    Returns
    -------
    bytes
    """
    if fmt == "fits":
        buffer = io.BytesIO()
        moc.serialize(format="fits").writeto(buffer)
        return buffer.getvalue()
    if fmt in ("json", "ascii"):
        return moc.to_string(format=fmt).encode("utf-8")
    raise ValueError(f"unknown MOC format {fmt!r}; one of {', '.join(FORMATS)}")


def _load_fits_moc(data: bytes) -> MOC:
    # mocpy reads FITS MOCs from paths only.
    handle, path = tempfile.mkstemp(suffix=".fits")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return MOC.load(path, format="fits")
    finally:
        os.unlink(path)


def _table_hdu(hdus: fits.HDUList) -> fits.BinTableHDU | None:
    return next((h for h in hdus if isinstance(h, fits.BinTableHDU)), None)


def read_region(data: bytes, credible: float | None = None) -> MOC:
    """The space MOC an upload describes: a MOC (FITS, JSON, ASCII) or an LVK sky map.

    Parameters
    ----------
    data : bytes
        The uploaded file, possibly gzip-compressed (as LVK sky maps usually are).
    credible : float, optional
        Credible level for sky maps (default 0.9); ignored for MOCs.

    Returns
    -------
    mocpy.MOC

    Raises
    ------
    MOCInputError
        If the data is none of these, or a time or space-time MOC.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_INPUT_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise MOCInputError(f"the upload is not valid gzip: {exc}") from None
        if len(data) > MAX_INPUT_BYTES:
            raise MOCInputError("the decompressed upload is too large")
    if not data.strip():
        raise MOCInputError("no MOC or sky map was sent (empty upload)")
    if data.startswith(b"SIMPLE  ="):
        return _read_fits_region(data, credible)
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MOCInputError("the upload is neither FITS nor a MOC in JSON or ASCII") from None
    try:
        if text.startswith("{"):
            return MOC.from_string(text, format="json")
        if text.startswith("["):
            raise MOCInputError("a space-time MOC was sent; MOC queries need a space MOC")
        if text.startswith("t") or not _ASCII_MOC.match(text):
            raise MOCInputError("the upload is neither FITS nor a space MOC in JSON or ASCII")
        return MOC.from_string(text, format="ascii")
    except MOCInputError:
        raise
    except Exception as exc:  # mocpy's parser raises plain Exceptions from Rust
        raise MOCInputError(f"not a valid MOC: {exc}") from None


def _read_fits_region(data: bytes, credible: float | None) -> MOC:
    try:
        with warnings.catch_warnings():
            # Foreign files may carry non-standard cards; they are not our errors to report.
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(data), memmap=False) as hdus:
                table = _table_hdu(hdus)
                if table is None:
                    raise MOCInputError("the FITS file has no binary table (MOC or sky map)")
                names = {n.upper() for n in table.columns.names}
                header = table.header
                if {"UNIQ", "PROBDENSITY"} <= names:
                    level = 0.9 if credible is None else credible
                    return credible_region(np.asarray(table.data["UNIQ"]),
                                           np.asarray(table.data["PROBDENSITY"]), level)
                dim = str(header.get("MOCDIM", "SPACE")).upper()
                is_moc = "MOCORDER" in header or "MOCORD_S" in header or "MOCDIM" in header
    except SkyMapError as exc:
        raise MOCInputError(str(exc)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, MOCInputError):
            raise
        raise MOCInputError(f"unreadable FITS file: {exc}") from None
    if not is_moc:
        raise MOCInputError("the FITS table is neither a MOC (MOCORDER/MOCORD_S) nor an LVK "
                            "multi-order sky map (UNIQ, PROBDENSITY)")
    if dim != "SPACE":
        raise MOCInputError(f"a {dim} MOC was sent; MOC queries need a space MOC")
    try:
        return _load_fits_moc(data)
    except Exception as exc:  # mocpy's reader raises plain Exceptions from Rust
        raise MOCInputError(f"not a valid FITS MOC: {exc}") from None
