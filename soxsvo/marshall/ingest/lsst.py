"""Rubin/LSST alert packets (Avro, ``lsst.vNN_N.alert`` of the Rubin alert-packet schema).

An alert carries the triggering ``diaSource``, the ``diaObject`` it belongs to, and previous
sources and forced sources. Fluxes are difference-image PSF fluxes in nJy (AB by definition);
they are stored in microjansky (divided by 1000) and may be negative. Times are MJD (TAI),
stored as given: TAI-UTC (37 s) is far below any light-curve resolution here.
Alerts of solar-system objects (no ``diaObject``) are not transients and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from soxsvo.marshall.ingest import avro
from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource, position
from soxsvo.marshall.ingest.model import Detection, Photometry, Scores
from soxsvo.marshall.ingest.ztf import CUTOUTS, stamps_of

NJY_PER_UJY = 1000.0
#: ``diaSource`` flags that tell a human to distrust a detection, as Rubin names them (the
#: per-pixel flags of the centre, the measurement failures, dipoles).
DIA_FLAGS = (
    "psfFlux_flag", "psfFlux_flag_edge", "psfFlux_flag_noGoodPixels", "centroid_flag",
    "shape_flag", "trail_flag_edge", "isDipole", "pixelFlags_bad", "pixelFlags_cr",
    "pixelFlags_crCenter", "pixelFlags_edge", "pixelFlags_offimage", "pixelFlags_nodataCenter",
    "pixelFlags_interpolatedCenter", "pixelFlags_saturatedCenter", "pixelFlags_suspectCenter",
    "pixelFlags_streakCenter", "pixelFlags_injected", "pixelFlags_injectedCenter")
#: The packet fields this adapter reads (at any depth); the others are skipped when decoding.
FIELDS = frozenset({
    "diaSourceId", "diaSource", "diaObject", "diaObjectId", "prvDiaSources",
    "prvDiaForcedSources", "diaForcedSourceId", "ra", "dec", "band", "midpointMjdTai",
    "psfFlux", "psfFluxErr", "reliability", *CUTOUTS, *DIA_FLAGS})


def _scores(source: dict) -> Scores:
    flux = source.get("psfFlux")
    return Scores(mjd=source.get("midpointMjdTai"), reliability=source.get("reliability"),
                  positive=None if flux is None else flux >= 0,
                  flags=tuple(name for name in DIA_FLAGS if source.get(name)))


def _point(source: dict, id_field: str, kind: str) -> Photometry | None:
    flux = source.get("psfFlux")
    if flux is None:
        return None
    err = source.get("psfFluxErr")
    return Photometry(
        band=f"lsst-{source['band']}", mjd=source["midpointMjdTai"],
        flux_ujy=flux / NJY_PER_UJY, flux_err_ujy=None if err is None else err / NJY_PER_UJY,
        upper_limit=False, orig_value=flux, orig_error=err, orig_unit=f"nJy {kind}",
        source_id=f"{kind}:{source[id_field]}",
    )


def detection_from_packet(packet: dict, origin: str) -> Detection | None:
    """The :class:`Detection` of one decoded Rubin alert, or None for a solar-system object."""
    try:
        source, dia_object = packet["diaSource"], packet.get("diaObject")
        object_id = (dia_object or {}).get("diaObjectId") or source.get("diaObjectId")
        if object_id is None:
            return None
        ra, dec = position(origin, source["ra"], source["dec"])
        points = [_point(source, "diaSourceId", "diaSource")]
        points += [_point(s, "diaSourceId", "diaSource") for s in packet.get("prvDiaSources")
                   or ()]
        points += [_point(s, "diaForcedSourceId", "diaForcedSource")
                   for s in packet.get("prvDiaForcedSources") or ()]
        alert_id = packet["diaSourceId"]
    except (KeyError, TypeError) as exc:
        raise AlertFormatError(origin, f"Rubin alert lacks a required field ({exc})") from None
    return Detection(source="lsst", alert_id=str(alert_id), survey="LSST",
                     object_name=f"LSST {object_id}", ra=ra, dec=dec,
                     photometry=[p for p in points if p is not None], origin=origin,
                     stamps=stamps_of(packet, CUTOUTS), scores=_scores(source))


class LSSTSource(AlertSource):
    """Rubin Observatory (LSST) alert packets (Avro)."""

    name = "lsst"

    def sniff(self, data: bytes, filename: str) -> bool:
        name = avro.schema_name(data) or ""
        return name.startswith("lsst.") and name.endswith(".alert")

    def read(self, data: bytes, origin: str) -> Iterator[Detection]:
        packets = avro.records(data, origin, "lsst.", FIELDS)
        found = (detection_from_packet(p, origin) for p in packets)
        return iter([d for d in found if d is not None])
