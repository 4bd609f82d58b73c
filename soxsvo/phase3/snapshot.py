"""A product's headers parsed once into plain values: the fast reader of registration.

Why not astropy here: registering a spectrum spent most of its CPU time in astropy's header
machinery (every ``header[key]`` re-reads astropy's configuration, card regexes, card
verification): 3.1 ms to open a real-size spectrum and most of 5.3 ms of rules, against a
target of 4-5 ms for the whole preparation (figures in ``docs/performance.md``,
``benchmarks/profile_ingest.py``). This module parses the 80-character cards of the layout
Phase 3 prescribes for a 1D spectrum — a primary HDU without data and one binary table of
fixed-size numeric columns — once, into :class:`HeaderSnapshot` objects, and reads the table
with numpy from ``TFORMn``/``NAXISn``.

astropy stays the reference. :func:`read_snapshot` only accepts what it can read exactly as
astropy does, and on which astropy's verification has nothing to say: every card in the strict
FITS 4.0 fixed syntax (printable ASCII, ``= `` in columns 9-10, string/logical/integer/real
values, ``HIERARCH`` in upper case), the mandatory structural keywords in their places, no
``CONTINUE``, no scaled, null-valued, multi-dimensional or variable-length columns, the file
exactly as long as its headers declare. Anything else — truncated or non-FITS files, a
non-standard card, an image, an extra extension — returns None and the caller validates the
file with astropy (:func:`~soxsvo.phase3.context.open_product`), so such files are
reported exactly as before. ``tests/pipeline/test_snapshot_reader.py`` checks that both
readers give identical reports on every good and bad product the tests build.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from soxsvo.phase3.checksum import BLOCK
from soxsvo.phase3.context import ProductContext, hdu_sums, open_product

__all__ = ["HeaderSnapshot", "SnapshotContext", "read_product", "read_snapshot"]

CARD = 80
_END = "END" + " " * 77
_COMMENTARY = ("COMMENT ", "HISTORY ", "        ")
_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8} *")
_HIERARCH_KEYWORD = re.compile(r"HIERARCH ([A-Z0-9_-]+(?: [A-Z0-9_-]+)*) *=")
# Value and comment in the strict FITS syntax (astropy's _value_FSC_RE without complex and
# undefined values; strings without embedded quotes, which astropy matches differently).
_VALUE = re.compile(r" *(?:'(?P<s>[^']*)'|(?P<b>[TF])|"
                    r"(?P<n>[+-]?(?:\d+\.?\d*|\.\d+)(?:[DE][+-]?\d+)?)) *(?:/(?P<c>.*))?")
# astropy reads a string value of this form as a record-valued keyword card (``DP1.AXIS.1``).
_RVKC_VALUE = re.compile(r"[a-zA-Z_]\w*(\.\d+)?(\.[a-zA-Z_]\w*(\.\d+)?)*: +")
_PRINTABLE = re.compile(r"[ -~]*")
#: Table column keywords astropy interprets (scaling, nulls, shapes, display, WCS): a table
#: using any of them is read by astropy, not here.
_COLUMN_KEYWORD = re.compile(r"(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TBCOL|TDIM|TCTYP|"
                             r"TCUNI|TCRPX|TCRVL|TCDLT|TRPOS|THEAP)(\d+)")
_TFORM = re.compile(r"(\d*)([BIJKED])")
_DTYPES = {"B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
_BITPIX = (8, 16, 32, 64, -32, -64)
_PRIMARY = (("SIMPLE", True), ("BITPIX", None), ("NAXIS", 0), ("EXTEND", True))
_TABLE = ("XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "TFIELDS")
#: Keywords astropy's verification checks for place or value: only where the layout puts them.
_STRUCTURAL = frozenset(("SIMPLE", "BITPIX", "NAXIS", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT",
                         "TFIELDS", "GROUPS", "BLANK", "BSCALE", "BZERO", "THEAP", "END"))


class _UnusualError(Exception):
    """Something this reader does not read exactly as astropy: let astropy do it."""


def _normalize(keyword: str) -> str:
    """Lookup key of a keyword, as astropy's: upper case, ``HIERARCH`` prefix dropped."""
    key = keyword.strip().upper()
    return key[9:].strip() if key.startswith("HIERARCH ") else key


class HeaderSnapshot:
    """The keywords and values of one header, read once: what the rules and the ObsCore
    mapping ask of an astropy ``Header`` (``in``, ``[]``, ``get``, iteration over keywords in
    order), with the same values and types and the same lookup rules (case-insensitive,
    ``HIERARCH`` optional, the first of repeated keywords)."""

    __slots__ = ("_first", "image", "keywords", "values")

    def __init__(self, keywords: list[str], values: list[Any], image: str) -> None:
        self.keywords, self.values, self.image = keywords, values, image
        self._first: dict[str, int] = {}
        for index, keyword in enumerate(keywords):
            self._first.setdefault(keyword, index)

    def __contains__(self, keyword: str) -> bool:
        return _normalize(keyword) in self._first

    def __getitem__(self, keyword: str) -> Any:
        try:
            return self.values[self._first[_normalize(keyword)]]
        except KeyError:
            raise KeyError(f"Keyword {keyword!r} not found.") from None

    def get(self, keyword: str, default: Any = None) -> Any:
        """The value of ``keyword``, ``default`` when absent."""
        index = self._first.get(_normalize(keyword))
        return default if index is None else self.values[index]

    def __iter__(self):
        return iter(self.keywords)

    def __len__(self) -> int:
        return len(self.keywords)

    def to_fits(self) -> fits.Header:
        """The same header as an astropy ``Header`` (for astropy.wcs)."""
        return fits.Header.fromstring(self.image)


def _value(text: str, card: str) -> Any:
    match = _VALUE.fullmatch(text)
    if match is None:
        raise _UnusualError(card)
    if match.group("s") is not None:
        value = match.group("s")
        if _RVKC_VALUE.match(value):
            raise _UnusualError(card)
        return value.rstrip()
    if match.group("b") is not None:
        return match.group("b") == "T"
    number = match.group("n").replace("D", "E")
    return float(number) if "." in number or "E" in number else int(number)


def _parse_card(card: str) -> tuple[str, Any]:
    """(keyword as astropy names it, value) of one card."""
    if card[:8] in _COMMENTARY and card[8:10] != "= ":
        return card[:8].rstrip(), card[8:].rstrip()
    if card.startswith("HIERARCH "):
        match = _HIERARCH_KEYWORD.match(card)
        if match is None:
            raise _UnusualError(card)
        return match.group(1), _value(card[match.end():], card)
    if card[8:10] != "= " or not _KEYWORD.fullmatch(card[:8]) or card[:8] in _COMMENTARY:
        raise _UnusualError(card)
    keyword = card[:8].rstrip()
    if keyword in ("CONTINUE", "END"):
        raise _UnusualError(card)
    return keyword, _value(card[10:], card)


def _read_header(raw: bytes, start: int) -> tuple[HeaderSnapshot, int]:
    """The header starting at byte ``start`` and the offset of its data."""
    keywords, values = [], []
    offset = start
    while True:
        if offset + CARD > len(raw):
            raise _UnusualError("header runs past the end of the file")
        card = raw[offset:offset + CARD].decode("ascii", errors="replace")
        offset += CARD
        if card == _END:
            break
        if not _PRINTABLE.fullmatch(card):
            raise _UnusualError(card)
        keyword, value = _parse_card(card)
        keywords.append(keyword)
        values.append(value)
    data = start + -(-(offset - start) // BLOCK) * BLOCK
    if raw[offset:data].strip(b" ") or data > len(raw):
        raise _UnusualError("header padding is not blank")
    return HeaderSnapshot(keywords, values, raw[start:offset].decode("ascii")), data


def _structural(header: HeaderSnapshot, expected: tuple) -> None:
    """The mandatory keywords in their places, each once, and nothing astropy's verification
    checks beyond the cards themselves (``EXTNAME`` type, stray ``NAXISj``, image scaling)."""
    for index, (keyword, value) in enumerate(expected):
        if index >= len(header) or header.keywords[index] != keyword:
            raise _UnusualError(f"{keyword} not in position {index + 1}")
        found = header.values[index]
        if value is not None and (found != value or type(found) is not type(value)):
            raise _UnusualError(f"{keyword} = {found!r}")
    for index, keyword in enumerate(header.keywords):
        if (keyword in _STRUCTURAL or keyword.startswith("NAXIS")) and \
                (index >= len(expected) or expected[index][0] != keyword):
            raise _UnusualError(f"{keyword} out of place")
    if "EXTNAME" in header and not isinstance(header["EXTNAME"], str):
        raise _UnusualError("EXTNAME")


def _table_layout(header: HeaderSnapshot) -> tuple[list[tuple[str, str]], np.dtype, int]:
    """Columns ``(TTYPEn, TFORMn)``, the row dtype and the data size of a plain binary
    table, or :class:`_UnusualError`."""
    _structural(header, tuple((k, None) for k in _TABLE))
    values = [header.values[i] for i in range(len(_TABLE))]
    if values[0] != "BINTABLE" or not all(type(v) is int for v in values[1:]) \
            or values[1:3] != [8, 2] or values[5:7] != [0, 1]:
        raise _UnusualError("not a plain binary table")
    naxis1, naxis2, tfields = values[3], values[4], values[7]
    if naxis1 < 0 or naxis2 < 0 or not 1 <= tfields <= 999:
        raise _UnusualError("table dimensions")
    for keyword in header.keywords:
        match = _COLUMN_KEYWORD.fullmatch(keyword)
        if match and (match.group(1) not in ("TTYPE", "TFORM", "TUNIT")
                      or not 1 <= int(match.group(2)) <= tfields
                      or match.group(2).startswith("0")
                      or not isinstance(header[keyword], str)):
            raise _UnusualError(keyword)
    columns, fields, names = [], [], set()
    for index in range(1, tfields + 1):
        name, form = header.get(f"TTYPE{index}"), header.get(f"TFORM{index}")
        if not isinstance(name, str) or not isinstance(form, str):
            raise _UnusualError(f"column {index}")
        match = _TFORM.fullmatch(form)
        if not name or name != name.strip() or name.upper() in names or match is None \
                or match.group(1).startswith("0"):
            raise _UnusualError(f"column {index}")
        names.add(name.upper())
        repeat = int(match.group(1) or 1)
        columns.append((name, form))
        dtype = _DTYPES[match.group(2)]
        fields.append((f"c{index}", dtype, (repeat,)) if repeat > 1 else (f"c{index}", dtype))
    row = np.dtype(fields)
    if row.itemsize != naxis1:
        raise _UnusualError("NAXIS1 differs from the columns")
    return columns, row, naxis1 * naxis2


class SnapshotContext:
    """A product read by :func:`read_snapshot`, as the rules see it (the interface of
    :class:`~soxsvo.phase3.context.ProductContext`)."""

    readable = True
    has_table = True
    open_error = None
    image_data = None  # the primary HDU has no data and the only extension is a table

    def __init__(self, path: str, raw: bytes, primary: HeaderSnapshot,
                 extension: HeaderSnapshot, offsets: tuple[int, int, int],
                 columns: list[tuple[str, str]], row: np.dtype) -> None:
        self.path, self.raw = path, raw
        self.primary, self.extension = primary, extension
        self.category: str | None = None
        self.open_warnings: list[str] = []
        self._offsets, self._columns_def, self._row = offsets, columns, row

    def header(self, hdu: str) -> HeaderSnapshot:
        """``'primary'`` or ``'extension'`` header."""
        return self.extension if hdu == "extension" else self.primary

    def value(self, hdu: str, keyword: str, default: Any = None) -> Any:
        """Keyword value from ``hdu`` (``'primary'``/``'extension'``), ``default`` if absent."""
        return self.header(hdu).get(keyword, default)

    def hdu_headers(self) -> list[HeaderSnapshot]:
        """Header of every HDU, primary first."""
        return [self.primary, self.extension]

    def fits_header(self, hdu: str) -> fits.Header:
        """``'primary'`` or ``'extension'`` header as an astropy Header (for astropy.wcs)."""
        return self.header(hdu).to_fits()

    @cached_property
    def column_names(self) -> dict[str, int]:
        """Upper-cased column name -> 1-based column number of the spectrum table."""
        return {name.upper(): i for i, (name, _form) in enumerate(self._columns_def, 1)}

    def column_formats(self) -> list[tuple[str, str]]:
        """``(TTYPEn, TFORMn)`` of the table's columns, in order."""
        return list(self._columns_def)

    def row_size(self) -> int:
        """Bytes of one table row according to the column formats."""
        return self._row.itemsize

    def column(self, name: str) -> np.ndarray | None:
        """Row 0 of column ``name`` as a flat native-endian array, ``None`` if absent."""
        return self._columns.get(name.upper())

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        _header_end, data, _end = self._offsets
        if self.extension["NAXIS2"] < 1:
            return {}
        row = np.frombuffer(self.raw, dtype=self._row, count=1, offset=data)[0]
        out = {}
        for index, (name, _form) in enumerate(self._columns_def, 1):
            arr = np.asarray(row[f"c{index}"]).ravel()
            out[name.upper()] = arr.astype(arr.dtype.newbyteorder("="))
        return out

    def declared_end(self) -> int:
        """Bytes the headers declare: here exactly the file's size."""
        return self._offsets[2]

    def verify_messages(self) -> list[str]:
        """Nothing: files astropy's verification would complain about are not read here."""
        return []

    def checksum_units(self) -> list[tuple[HeaderSnapshot, Any]]:
        """Per HDU: its header and the function giving ``(DATASUM ok, CHECKSUM ok)``."""
        header_end, data, end = self._offsets

        def primary(raw):
            return hdu_sums(raw, 0, header_end, header_end, self.primary.get("DATASUM", ""))

        def table(raw):
            return hdu_sums(raw, header_end, data, end, self.extension.get("DATASUM", ""))

        return [(self.primary, primary), (self.extension, table)]

    def spectrum_like(self) -> bool:
        """Whether the table has a WAVE column (category inference)."""
        return "WAVE" in self.column_names

    def close(self) -> None:
        """Nothing to release: the bytes are the caller's."""


def read_snapshot(path: str | os.PathLike, raw: bytes) -> SnapshotContext | None:
    """Read the bytes ``raw`` of the file ``path`` as a primary HDU without data followed by
    one plain binary table; None when the file is anything else (then read it with
    :func:`~soxsvo.phase3.context.open_product`)."""
    try:
        primary, table_start = _read_header(raw, 0)
        _structural(primary, _PRIMARY)
        if primary.values[1] not in _BITPIX or type(primary.values[1]) is not int:
            raise _UnusualError("BITPIX")
        extension, data = _read_header(raw, table_start)
        columns, row, size = _table_layout(extension)
    except (_UnusualError, UnicodeDecodeError, ValueError):
        return None
    end = data + -(-size // BLOCK) * BLOCK
    if end != len(raw):
        return None  # truncated, or more after the table: astropy says what
    return SnapshotContext(os.fspath(path), raw, primary, extension, (table_start, data, end),
                           columns, row)


def read_product(path: str | os.PathLike, raw: bytes | None = None
                 ) -> SnapshotContext | ProductContext:
    """Open a product file for the rules: with :func:`read_snapshot` when it can, else with
    astropy (:func:`~soxsvo.phase3.context.open_product`, which also reports
    files that cannot be read at all).

    Parameters
    ----------
    path : path-like
        The file.
    raw : bytes, optional
        Its bytes, when the caller has read them already (registration checksums them).
    """
    if raw is None:
        try:
            raw = Path(path).read_bytes()
        except OSError:
            return open_product(path)
    snapshot = read_snapshot(path, raw)
    if snapshot is not None:
        return snapshot
    ctx = open_product(path)
    ctx.raw = raw if ctx.readable else None
    return ctx
