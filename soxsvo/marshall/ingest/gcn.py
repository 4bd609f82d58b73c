"""GCN notices in JSON: LVK gravitational-wave alerts and the GCN Unified Schema (GRB,
neutrino, X-ray triggers).

- LVK (IGWN) notices: ``superevent_id``, ``alert_type`` (EARLYWARNING, PRELIMINARY, INITIAL,
  UPDATE, RETRACTION), ``time_created`` and ``event`` with ``time``, ``far``, ``instruments``,
  ``classification``, ``properties`` and ``skymap``: the multi-order sky map as base64 FITS
  (columns UNIQ, PROBDENSITY).
- Unified Schema notices (Swift, Fermi, Einstein Probe, SVOM, IceCube, ...): ``$schema``,
  ``mission``, ``instrument``, ``messenger``, ``id``, ``trigger_time``, ``alert_datetime``,
  ``ra``, ``dec``, ``ra_dec_error`` (degrees).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Iterator
from datetime import datetime

import numpy as np
from astropy.io import fits

from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource, position
from soxsvo.marshall.ingest.model import Event, SkyMap
from soxsvo.marshall.ingest.tabular import content_id, text_of

_NEUTRINO_MISSIONS = {"icecube", "km3net", "antares", "baikal-gvd"}
_XRAY_MISSIONS = {"einstein probe", "maxi", "nustar"}


def read_skymap(encoded: str, origin: str) -> SkyMap:
    """UNIQ and PROBDENSITY of a base64 multi-order FITS sky map."""
    try:
        raw = base64.b64decode(encoded, validate=True)
        with fits.open(io.BytesIO(raw)) as hdus:
            table = hdus[1].data
            uniq = np.asarray(table["UNIQ"], dtype=np.int64)
            density = np.asarray(table["PROBDENSITY"], dtype=np.float64)
    except (binascii.Error, ValueError, OSError, KeyError, IndexError, TypeError) as exc:
        raise AlertFormatError(origin, f"unreadable sky map ({type(exc).__name__}: {exc})"
                               ) from None
    return SkyMap(uniq=uniq.tolist(), probdensity=density.tolist())


def _time(value: object, field: str, origin: str) -> str | None:
    """An ISO 8601 time of a notice, checked here: a number or a word where a time belongs
    is the notice's mistake (it once reached the database and failed there)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise AlertFormatError(origin, f"GCN field {field!r} must be an ISO 8601 time "
                               f"string, not {type(value).__name__} {value!r}")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AlertFormatError(origin, f"GCN field {field!r}: {value!r} is not an ISO 8601 "
                               "time") from None
    return value


def _number(value: object, field: str, origin: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlertFormatError(origin, f"GCN field {field!r} must be a number, not "
                               f"{type(value).__name__} {value!r}")
    return float(value)


def _text(value: object, field: str, origin: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise AlertFormatError(origin, f"GCN field {field!r} must be text, not "
                               f"{type(value).__name__}")
    return str(value)


def _lvk_event(notice: dict, origin: str) -> Event:
    name = _text(notice["superevent_id"], "superevent_id", origin)
    alert_type = _text(notice["alert_type"], "alert_type", origin)
    event = notice.get("event") or {}
    if not isinstance(event, dict):
        raise AlertFormatError(origin, "GCN field 'event' must be an object")
    skymap = read_skymap(event["skymap"], origin) if event.get("skymap") else None
    properties = {key: event.get(key) for key in ("far", "significant", "instruments",
                                                  "group", "pipeline", "search",
                                                  "classification", "properties")
                  if event.get(key) is not None}
    return Event(
        source="gcn", notice_id=f"{name}-{alert_type}-{notice.get('time_created', '')}",
        name=name, kind="GW", mission="LVK", notice_type=alert_type,
        trigger_time=_time(event.get("time"), "event.time", origin),
        issued_at=_time(notice.get("time_created"), "time_created", origin), ra=None,
        dec=None, error_radius_deg=None, retracted=alert_type == "RETRACTION",
        properties=properties, payload={k: v for k, v in notice.items() if k != "event"}
        | {"event": {k: v for k, v in event.items() if k != "skymap"}}, skymap=skymap,
        origin=origin,
    )


def _kind(notice: dict) -> str:
    mission = str(notice.get("mission", "")).lower()
    messenger = str(notice.get("messenger", "")).lower()
    if messenger == "neutrino" or mission in _NEUTRINO_MISSIONS:
        return "neutrino"
    if mission in _XRAY_MISSIONS:
        return "X-ray"
    if messenger in ("em", "") and notice.get("instrument"):
        return "GRB"
    return "other"


def _unified_event(notice: dict, origin: str) -> Event:
    mission = notice.get("mission")
    if not mission:
        raise AlertFormatError(origin, "GCN notice without 'mission'")
    ids = notice.get("id") or []
    ident = ids[0] if isinstance(ids, list) and ids else ids or content_id(notice)
    name = notice.get("event_name") or f"{mission} {ident}"
    ra = dec = None
    if notice.get("ra") is not None and notice.get("dec") is not None:
        ra, dec = position(origin, notice["ra"], notice["dec"])
    alert_type = str(notice.get("alert_type", "initial"))
    return Event(
        source="gcn", notice_id=f"{name}-{alert_type}-{content_id(notice)}", name=name,
        kind=_kind(notice), mission=str(mission), notice_type=alert_type,
        trigger_time=_time(notice.get("trigger_time"), "trigger_time", origin),
        issued_at=_time(notice.get("alert_datetime"), "alert_datetime", origin),
        ra=ra, dec=dec, error_radius_deg=_number(notice.get("ra_dec_error"), "ra_dec_error",
                                                 origin),
        retracted=alert_type.lower() == "retraction",
        properties={k: notice[k] for k in ("instrument", "messenger", "id", "alert_tense",
                                           "containment_probability") if k in notice},
        payload=notice, origin=origin,
    )


def events_from_json(document: object, origin: str) -> list[Event]:
    """The events of one notice, or of a JSON array of notices."""
    notices = document if isinstance(document, list) else [document]
    events = []
    for notice in notices:
        if not isinstance(notice, dict):
            raise AlertFormatError(origin, "a GCN notice must be a JSON object")
        try:
            if "superevent_id" in notice:
                events.append(_lvk_event(notice, origin))
            else:
                events.append(_unified_event(notice, origin))
        except KeyError as exc:
            raise AlertFormatError(origin, f"GCN notice lacks {exc}") from None
    return events


class GCNSource(AlertSource):
    """GCN notices (JSON): LVK alerts with sky maps, Unified Schema GRB/neutrino notices."""

    name = "gcn"

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:2048].decode("utf-8", "replace")
        return head.lstrip().startswith(("{", "[")) and (
            "superevent_id" in head or "gcn.nasa.gov/schema" in head)

    def read(self, data: bytes, origin: str) -> Iterator[Event]:
        try:
            document = json.loads(text_of(data, origin))
        except json.JSONDecodeError as exc:
            raise AlertFormatError(origin, f"invalid JSON ({exc})") from None
        return iter(events_from_json(document, origin))
