"""What the rules look at: an opened product with lazily extracted headers and arrays.

Opening is the one place where a file can be unreadable; everything a rule needs later is
cached here so that rules stay small and never re-read the file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from astropy.io import fits

__all__ = ["ProductContext", "open_product"]


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
