"""ATLAS forced photometry as the ATLAS forced-photometry server writes it.

One file is the light curve of one position: a header ``###MJD m dm uJy duJy F err chi/N RA
Dec x y maj min phi apfit mag5sig Sky Obs`` and one row per exposure, separated by blanks (as
served) or commas. ``uJy``/``duJy`` are already AB flux densities; a measurement below 3 sigma
is kept as an upper limit at the exposure's 5-sigma limit ``mag5sig``. The object's name is
taken from the file name when it is an ATLAS designation (``ATLAS24abc.txt``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource, position
from soxsvo.marshall.ingest.model import Detection, Photometry, mag_to_ujy
from soxsvo.marshall.ingest.tabular import content_id, number, text_of

_COLUMNS = ("MJD", "m", "dm", "uJy", "duJy", "F", "RA", "Dec", "mag5sig", "Obs")
_ATLAS_NAME = re.compile(r"^ATLAS\d{2}[a-z]{3,}$")
#: Signal-to-noise below which a forced measurement counts as a non-detection.
DETECTION_SNR = 3.0


def _table(text: str, origin: str) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("###"):
        raise AlertFormatError(origin, "not ATLAS forced photometry (no '###MJD' header)")
    split = (lambda s: [c.strip() for c in s.split(",")]) if "," in lines[0] else str.split
    header = split(lines[0].lstrip("#"))
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise AlertFormatError(origin, f"ATLAS header lacks the columns {', '.join(missing)}")
    rows = [split(line) for line in lines[1:]]
    for number_, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise AlertFormatError(origin, f"line {number_}: {len(row)} fields, header has "
                                           f"{len(header)}")
    return header, rows


def _point(row: dict, key: str, origin: str) -> Photometry:
    flux = number(row["uJy"], origin, "uJy")
    err = number(row["duJy"], origin, "duJy")
    band = f"atlas-{row['F']}"
    source_id = f"{key}:{row['Obs']}"
    mjd = number(row["MJD"], origin, "MJD")
    if flux is not None and err and flux >= DETECTION_SNR * err:
        return Photometry(band, mjd, flux, err, False, flux, err, "uJy forced (AB)", source_id)
    limit = number(row["mag5sig"], origin, "mag5sig")
    if limit is None:
        raise AlertFormatError(origin, f"exposure {row['Obs']}: neither detection nor limit")
    return Photometry(band, mjd, mag_to_ujy(limit), None, True, limit, None,
                      "mag(AB) 5-sigma limit", source_id)


def light_curve(data: bytes, origin: str) -> Detection:
    """The ATLAS light curve in ``data`` as one :class:`Detection`."""
    header, rows = _table(text_of(data, origin), origin)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    if not records:
        raise AlertFormatError(origin, "ATLAS file holds no exposure")
    stem = PurePath(origin).stem
    name = stem if _ATLAS_NAME.match(stem) else None
    # The brightest measurement fixes the position (averaging RAs fails across 0/360).
    best = max(records, key=lambda r: (number(r["uJy"], origin, "uJy") or 0.0)
               / (number(r["duJy"], origin, "duJy") or 1.0))
    ra, dec = position(origin, best["RA"], best["Dec"])
    key = name or f"J{ra:.5f}{dec:+.5f}"
    points = [_point(r, key, origin) for r in records]
    return Detection(source="atlas", alert_id=f"{key}:{content_id(rows)}", survey="ATLAS",
                     object_name=name, ra=ra, dec=dec, photometry=points, origin=origin)


class ATLASSource(AlertSource):
    """ATLAS forced photometry (one position per file)."""

    name = "atlas"

    def sniff(self, data: bytes, filename: str) -> bool:
        return data.lstrip().startswith(b"###MJD")

    def read(self, data: bytes, origin: str) -> Iterator[Detection]:
        return iter([light_curve(data, origin)])
