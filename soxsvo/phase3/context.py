"""What the rules look at: an opened product with lazily extracted headers and arrays.

Opening is the one place where a file can be unreadable; everything a rule needs later is
cached here so that rules stay small and never re-read the file. Two readers give the rules
the same view: :class:`ProductContext` (astropy, any FITS file, the reference) and
:class:`~soxsvo.phase3.snapshot.SnapshotContext` (headers parsed once into plain
values, for the common, clean layout of a 1D spectrum; see that module for why).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from astropy.io import fits

from soxsvo.phase3.checksum import checksum32

__all__ = ["ProductContext", "hdu_sums", "open_product"]


@dataclass
class ProductContext:
    """An opened product, as the rules see it.

    Attributes
    ----------
    path : str or None
        The file (``None`` for an in-memory HDU list).
    hdul : HDUList or None
        The opened HDUs, ``None`` when the file could not be opened at all.
    category : str or None
        The category whose rules are applied (``PRODCATG``, or inferred).
    open_error : str or None
        Why the file could not be read.
    open_warnings : list of str
        Warnings astropy raised while reading it (e.g. truncation).
    """

    path: str | None
    hdul: fits.HDUList | None
    category: str | None = None
    open_error: str | None = None
    open_warnings: list[str] = field(default_factory=list)
    #: The file's bytes when the caller has read them already (checksums), else None.
    raw: bytes | None = None

    @property
    def primary(self) -> fits.Header:
        """Primary header (empty if unreadable)."""
        return self.hdul[0].header if self.hdul else fits.Header()

    @cached_property
    def table_hdu(self) -> fits.BinTableHDU | None:
        """The first binary-table extension, where a 1D spectrum lives."""
        if not self.hdul:
            return None
        for hdu in self.hdul[1:]:
            if isinstance(hdu, fits.BinTableHDU):
                return hdu
        return None

    @property
    def extension(self) -> fits.Header:
        """Header of :attr:`table_hdu` (empty if there is none)."""
        return self.table_hdu.header if self.table_hdu is not None else fits.Header()

    def header(self, hdu: str) -> fits.Header:
        """``'primary'`` or ``'extension'`` header."""
        return self.extension if hdu == "extension" else self.primary

    @cached_property
    def column_names(self) -> dict[str, int]:
        """Upper-cased column name -> 1-based column number of the spectrum table."""
        hdu = self.table_hdu
        if hdu is None:
            return {}
        return {str(n).upper(): i for i, n in enumerate(hdu.columns.names, 1)}

    def column(self, name: str) -> np.ndarray | None:
        """Row 0 of column ``name`` as a flat float/int array, ``None`` if absent/unreadable."""
        return self._columns.get(name.upper())

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        hdu = self.table_hdu
        out: dict[str, np.ndarray] = {}
        if hdu is None:
            return out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported by the file rules, not here
            try:
                data = hdu.data
            except Exception:  # noqa: BLE001 - truncated or malformed data
                return out
            if data is None or len(data) < 1:
                return out
            for name in hdu.columns.names:
                try:
                    arr = np.asarray(data[name][0]).ravel()
                except Exception:  # noqa: BLE001 - e.g. a variable-length column gone wrong
                    continue
                if arr.dtype.kind in "fiub":
                    out[str(name).upper()] = arr.astype(arr.dtype.newbyteorder("="))
        return out

    @cached_property
    def image_data(self) -> np.ndarray | None:
        """Data of the first HDU holding an image (primary first), or ``None``."""
        if not self.hdul:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for hdu in self.hdul:
                if isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU) and hdu.header.get("NAXIS"):
                    try:
                        return np.asarray(hdu.data)
                    except Exception:  # noqa: BLE001
                        return None
        return None

    def value(self, hdu: str, keyword: str, default: Any = None) -> Any:
        """Keyword value from ``hdu`` (``'primary'``/``'extension'``), ``default`` if absent."""
        header = self.header(hdu)
        return header.get(keyword, default)

    # --- what the file-level and layout rules ask, answered from astropy's HDUs ---------

    @property
    def readable(self) -> bool:
        """Whether the file could be opened as FITS with at least one HDU."""
        return self.hdul is not None

    @property
    def has_table(self) -> bool:
        """Whether there is a binary-table extension (:attr:`table_hdu`)."""
        return self.table_hdu is not None

    def hdu_headers(self) -> list:
        """Header of every HDU, primary first."""
        return [hdu.header for hdu in self.hdul] if self.hdul else []

    def fits_header(self, hdu: str) -> fits.Header:
        """``'primary'`` or ``'extension'`` header as an astropy Header (for astropy.wcs)."""
        return self.header(hdu)

    def declared_end(self) -> int | None:
        """Bytes the headers declare (end of the last HDU's data), None when unknown."""
        if self.hdul is None or self.path is None:
            return None
        # The HDU's own fileinfo: HDUList.fileinfo also re-serialises every header to see
        # whether it was resized, which costs more than all other checks of a spectrum.
        info = self.hdul[-1].fileinfo()
        if not info or info.get("datLoc") is None:
            return None
        return info["datLoc"] + info["datSpan"]

    def verify_messages(self) -> list[str]:
        """astropy's verification warnings of every HDU (the fitsverify stand-in)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.hdul.verify("warn")
        # ResourceWarnings are about another object's unclosed file, collected meanwhile.
        return [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)]

    def checksum_units(self) -> list[tuple[fits.Header, Callable[[bytes | None], tuple]]]:
        """Per HDU: its header and a function of the file's bytes giving ``(DATASUM
        matches, CHECKSUM matches)`` (may raise for unreadable data)."""
        return [(hdu.header, functools.partial(_astropy_sums, hdu)) for hdu in self.hdul]

    def column_formats(self) -> list[tuple[str, str]]:
        """``(TTYPEn, TFORMn)`` of the spectrum table's columns, in order."""
        return [(str(col.name), str(col.format)) for col in self.table_hdu.columns]

    def row_size(self) -> int:
        """Bytes of one table row according to the column formats (may raise)."""
        return self.table_hdu.columns.dtype.itemsize

    def spectrum_like(self) -> bool:
        """Whether some binary-table extension has a WAVE column (category inference)."""
        return bool(self.hdul) and any(
            isinstance(h, fits.BinTableHDU) and "WAVE" in [str(n).upper()
                                                           for n in h.columns.names]
            for h in self.hdul[1:])

    def close(self) -> None:
        """Release the file (an in-memory HDU list stays the caller's)."""
        if self.hdul is not None and self.path is not None:
            self.hdul.close()


def hdu_sums(raw: bytes | None, start: int, data: int, end: int,
             declared_datasum: Any) -> tuple[bool, bool]:
    """(DATASUM matches, CHECKSUM matches) of the HDU at bytes ``start:data:end`` of ``raw``.

    Summing the stored records with numpy is ~20 times faster than astropy re-encoding a
    one-row array table, and the convention is defined over the stored bytes anyway.
    """
    if end > len(raw) or (end - start) % 4:
        raise ValueError("HDU extends beyond the end of the file")
    datasum = checksum32(raw[data:end])
    declared = str(declared_datasum).strip()
    data_ok = declared.isdigit() and int(declared) == datasum
    return data_ok, checksum32(raw[start:data], datasum) == 0xFFFFFFFF


def _astropy_sums(hdu, raw: bytes | None) -> tuple[bool, bool]:
    """From the file's bytes when there are any, astropy's own verification otherwise
    (in-memory HDU lists)."""
    info = hdu.fileinfo() if raw is not None else None
    if not info or info.get("datLoc") is None:
        return (hdu.verify_datasum() != 0 if "DATASUM" in hdu.header else True,
                hdu.verify_checksum() != 0 if "CHECKSUM" in hdu.header else True)
    return hdu_sums(raw, info["hdrLoc"], info["datLoc"], info["datLoc"] + info["datSpan"],
                    hdu.header.get("DATASUM", ""))


def open_product(source: str | os.PathLike | fits.HDUList) -> ProductContext:
    """Open ``source`` for validation, turning every failure into ``open_error``.

    Warnings (astropy's "File may have been truncated", non-standard cards...) are
    recorded instead of raised, whatever the caller's warning filters say.
    """
    if isinstance(source, fits.HDUList):
        return ProductContext(path=None, hdul=source)
    path = os.fspath(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
        except Exception as exc:  # noqa: BLE001 - not FITS, empty, truncated header...
            return ProductContext(path=path, hdul=None,
                                  open_error=f"{type(exc).__name__}: {exc}",
                                  open_warnings=[str(w.message) for w in caught])
        if len(hdul) == 0:
            return ProductContext(path=path, hdul=None, open_error="no HDU in file")
        # Touch the data now so truncation shows up as a warning recorded here.
        for hdu in hdul:
            try:
                _ = hdu.data
            except Exception as exc:  # noqa: BLE001
                warnings.warn(f"data of HDU {hdul.index(hdu)} unreadable: {exc}", stacklevel=1)
    # ResourceWarnings are about other objects' files collected meanwhile, not this product.
    return ProductContext(path=path, hdul=hdul, open_warnings=[
        str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)])
