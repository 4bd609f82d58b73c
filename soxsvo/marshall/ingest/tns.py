"""Transient Name Server object lists: the public objects CSV and JSON object lists.

A TNS report names an object (``SN 2024abc``), gives its position, type, redshift and the
surveys' internal names. It never creates a transient on its own: it attaches to a known one
(by alias or position), and its name becomes the transient's primary name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource, position
from soxsvo.marshall.ingest.model import Detection
from soxsvo.marshall.ingest.tabular import (
    content_id,
    csv_rows,
    first_line_with,
    number,
    text_of,
)

_CSV_COLUMNS = {"name_prefix", "name", "ra", "declination", "internal_names"}
# Internal-name prefixes of the surveys that report to TNS, longest first.
_SURVEY_PREFIXES = (("ATLAS", "ATLAS"), ("Gaia", "Gaia"), ("ZTF", "ZTF"), ("PS", "Pan-STARRS"),
                    ("ASASSN", "ASAS-SN"), ("GOTO", "GOTO"), ("BGEM", "BlackGEM"),
                    ("LSST", "LSST"))


def survey_of(internal_name: str) -> str:
    """The survey an internal name belongs to, from its prefix ('ZTF24abc' -> 'ZTF')."""
    for prefix, survey in _SURVEY_PREFIXES:
        if internal_name.startswith(prefix):
            return survey
    return "other"


def _internal_names(value: str | None) -> list[tuple[str, str]]:
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    return [(name, survey_of(name)) for name in names]


def _report(record: dict, origin: str, *, prefix: str, name: str, ra, dec, kind: str | None,
            redshift, internal_names: str | None) -> Detection:
    if not name:
        raise AlertFormatError(origin, "a TNS object without a name")
    ra_f, dec_f = position(origin, ra, dec)
    tns_name = f"{prefix} {name}".strip() if prefix else name
    return Detection(
        source="tns", alert_id=f"{name}:{content_id(record)}", survey="TNS",
        object_name=tns_name, ra=ra_f, dec=dec_f, tns_name=tns_name,
        aliases=_internal_names(internal_names), classification=kind or None,
        redshift=number(redshift, origin, f"{name} redshift"), creates_objects=False,
        origin=origin,
    )


def _from_csv_row(row: dict, origin: str) -> Detection:
    kind = row.get("type") or None
    return _report(row, origin, prefix=row["name_prefix"], name=row["name"], ra=row["ra"],
                   dec=row["declination"], kind=kind, redshift=row.get("redshift"),
                   internal_names=row.get("internal_names"))


def _from_json_object(obj: dict, origin: str) -> Detection:
    if not isinstance(obj, dict):
        raise AlertFormatError(origin, "TNS JSON objects must be JSON objects")
    kind = obj.get("object_type") or obj.get("type")
    if isinstance(kind, dict):
        kind = kind.get("name")
    try:
        return _report(obj, origin, prefix=obj.get("name_prefix") or obj.get("prefix") or "",
                       name=obj.get("objname") or obj.get("name") or "",
                       ra=obj.get("radeg", obj.get("ra")),
                       dec=obj.get("decdeg", obj.get("declination", obj.get("dec"))),
                       kind=kind, redshift=obj.get("redshift"),
                       internal_names=obj.get("internal_names"))
    except AttributeError:
        raise AlertFormatError(origin, "malformed TNS object") from None


def _json_objects(document: object) -> list:
    # The TNS API wraps replies as {"data": {"reply": ...}}; object lists are plain arrays.
    if isinstance(document, dict) and "data" in document:
        document = (document["data"] or {}).get("reply", document["data"])
    return document if isinstance(document, list) else [document]


class TNSSource(AlertSource):
    """TNS object lists (CSV as published daily, or JSON as the TNS API returns)."""

    name = "tns"

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:4096].decode("utf-8", "replace")
        if filename.endswith(".json") or head.lstrip().startswith(("{", "[")):
            return "objname" in head
        return "name_prefix" in head and "internal_names" in head

    def read(self, data: bytes, origin: str) -> Iterator[Detection]:
        text = text_of(data, origin)
        if text.lstrip().startswith(("{", "[")):
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise AlertFormatError(origin, f"invalid JSON ({exc})") from None
            return iter([_from_json_object(o, origin) for o in _json_objects(document)])
        if not first_line_with(text, "name_prefix"):
            raise AlertFormatError(origin, "not a TNS objects CSV (no name_prefix column)")
        rows = csv_rows(text, origin, _CSV_COLUMNS, skip_until="name_prefix")
        return iter([_from_csv_row(row, origin) for row in rows])
