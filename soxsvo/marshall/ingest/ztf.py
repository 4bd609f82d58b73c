"""ZTF alert packets (Avro, schema ``ztf.alert`` 3.x/4.x of the ZTF alert-format repository).

Each packet holds a candidate and its previous candidates (detections, or non-detections with
only ``diffmaglim``), and from schema 4.0 forced photometry (``fp_hist``). ``magpsf`` is the
PSF magnitude of the difference image (AB, calibrated to PS1); ``isdiffpos`` 'f'/'0' means the
source is fainter than in the reference, stored as a negative difference flux.
"""

from __future__ import annotations

from collections.abc import Iterator

from soxsvo.marshall.ingest import avro
from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource, position
from soxsvo.marshall.ingest.model import (
    MJD_OFFSET,
    Detection,
    Photometry,
    Scores,
    Stamp,
    mag_error_to_ujy,
    mag_to_ujy,
)

BANDS = {1: "ztf-g", 2: "ztf-r", 3: "ztf-i"}
#: The packet fields this adapter reads (at any depth); the others are skipped when decoding.
FIELDS = frozenset({
    "objectId", "candid", "candidate", "prv_candidates", "fp_hist", "ra", "dec", "jd", "fid",
    "magpsf", "sigmapsf", "isdiffpos", "diffmaglim", "forcediffimflux", "forcediffimfluxunc",
    "magzpsci", "rb", "drb", "sgscore1", "distpsnr1", "cutoutScience", "cutoutTemplate",
    "cutoutDifference", "fileName", "stampData"})
#: Packet field of each cutout → the stamp's kind.
CUTOUTS = {"cutoutScience": "science", "cutoutTemplate": "reference",
           "cutoutDifference": "difference"}


def _negative(isdiffpos: str | None) -> bool:
    return isdiffpos in ("f", "0")


def _detection_point(candidate: dict) -> Photometry:
    flux = mag_to_ujy(candidate["magpsf"])
    sign = -1.0 if _negative(candidate.get("isdiffpos")) else 1.0
    unit = "mag(AB) psf difference" + (", negative" if sign < 0 else "")
    return Photometry(
        band=BANDS.get(candidate["fid"], f"ztf-{candidate['fid']}"),
        mjd=candidate["jd"] - MJD_OFFSET, flux_ujy=sign * flux,
        flux_err_ujy=mag_error_to_ujy(flux, candidate.get("sigmapsf")), upper_limit=False,
        orig_value=candidate["magpsf"], orig_error=candidate.get("sigmapsf"), orig_unit=unit,
        source_id=str(candidate["candid"]),
    )


def _limit_point(object_id: str, candidate: dict) -> Photometry | None:
    limit = candidate.get("diffmaglim")
    if limit is None:
        return None
    return Photometry(
        band=BANDS.get(candidate["fid"], f"ztf-{candidate['fid']}"),
        mjd=candidate["jd"] - MJD_OFFSET, flux_ujy=mag_to_ujy(limit), flux_err_ujy=None,
        upper_limit=True, orig_value=limit, orig_error=None, orig_unit="mag(AB) 5-sigma limit",
        source_id=f"{object_id}:ul:{candidate['fid']}:{candidate['jd']:.7f}",
    )


def _forced_point(object_id: str, fp: dict) -> Photometry | None:
    flux_dn, zero_point = fp.get("forcediffimflux"), fp.get("magzpsci")
    if flux_dn is None or zero_point is None or flux_dn == -99999:
        return None
    # Forced fluxes are in DN of the science image; its zero point turns them into AB.
    scale = 10.0 ** ((23.9 - zero_point) / 2.5)
    err = fp.get("forcediffimfluxunc")
    return Photometry(
        band=BANDS.get(fp["fid"], f"ztf-{fp['fid']}"), mjd=fp["jd"] - MJD_OFFSET,
        flux_ujy=flux_dn * scale,
        flux_err_ujy=None if err is None or err == -99999 else err * scale,
        upper_limit=False, orig_value=flux_dn, orig_error=err,
        orig_unit=f"DN forced difference (magzpsci {zero_point:.4f})",
        source_id=f"{object_id}:fp:{fp['fid']}:{fp['jd']:.7f}",
    )


def stamps_of(packet: dict, fields: dict[str, str]) -> list[Stamp]:
    """The cutouts of a ZTF or Rubin packet (``fields``: packet field → kind), as carried."""
    stamps = []
    for name, kind in fields.items():
        cutout = packet.get(name)
        if isinstance(cutout, dict):  # ZTF: a record with the file's name and bytes
            data, file_name = cutout.get("stampData"), cutout.get("fileName")
        else:  # Rubin: the bytes themselves
            data, file_name = cutout, None
        if data:
            stamps.append(Stamp(kind=kind, data=bytes(data), file_name=file_name))
    return stamps


def _scores(candidate: dict) -> Scores:
    sign = candidate.get("isdiffpos")
    return Scores(mjd=candidate["jd"] - MJD_OFFSET, rb=candidate.get("rb"),
                  drb=candidate.get("drb"), sgscore1=candidate.get("sgscore1"),
                  distpsnr1=candidate.get("distpsnr1"),
                  positive=None if sign is None else not _negative(sign))


def detection_from_packet(packet: dict, origin: str) -> Detection:
    """The :class:`Detection` of one decoded ZTF alert packet."""
    try:
        object_id, candidate = packet["objectId"], packet["candidate"]
        ra, dec = position(origin, candidate["ra"], candidate["dec"])
        points = [_detection_point(candidate)]
        for previous in packet.get("prv_candidates") or ():
            if previous.get("candid") is not None and previous.get("magpsf") is not None:
                points.append(_detection_point(previous))
            elif (limit := _limit_point(object_id, previous)) is not None:
                points.append(limit)
        for forced in packet.get("fp_hist") or ():
            if (point := _forced_point(object_id, forced)) is not None:
                points.append(point)
        scores = _scores(candidate)
    except (KeyError, TypeError) as exc:
        raise AlertFormatError(origin, f"ZTF packet lacks a required field ({exc})") from None
    return Detection(source="ztf", alert_id=str(packet["candid"]), survey="ZTF",
                     object_name=object_id, ra=ra, dec=dec, photometry=points, origin=origin,
                     stamps=stamps_of(packet, CUTOUTS), scores=scores)


class ZTFSource(AlertSource):
    """ZTF alert packets (Avro)."""

    name = "ztf"

    def sniff(self, data: bytes, filename: str) -> bool:
        return (avro.schema_name(data) or "").startswith("ztf.alert")

    def read(self, data: bytes, origin: str) -> Iterator[Detection]:
        return iter([detection_from_packet(packet, origin)
                     for packet in avro.records(data, origin, "ztf.alert", FIELDS)])
