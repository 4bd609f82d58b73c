"""Small alert samples in each survey's real format, written from the published schemas.

ZTF and Rubin packets start from the real packets in ``tests/data/alerts`` and are re-written
with fastavro and the surveys' own schema files, changed only where a test needs another
object, position or date. Text formats (TNS, ATLAS, Gaia, GCN) follow the published layouts.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from functools import cache
from pathlib import Path

import fastavro
import numpy as np
from astropy.io import fits
from astropy.table import Table
from fastavro.schema import load_schema_ordered

#: Folders of ``tests/data`` (fixture ``data_dir``) holding each survey's published files.
ZTF_DIR = "alerts/ztf"
LSST_DIR = "alerts/lsst-v11_0"
ZTF_PACKET = "472263571115115000.avro"  # ZTF17aaajnnn, 11 previous candidates


@cache
def ztf_schema(data: Path) -> dict:
    """The ZTF alert schema from its published .avsc files (named types first)."""
    folder = data / ZTF_DIR / "schema"
    return load_schema_ordered([str(folder / f"{part}.avsc") for part in (
        "candidate", "prv_candidate", "fp_hist", "cutout", "alert")])


@cache
def lsst_schema(data: Path) -> dict:
    """The Rubin v11.0 alert schema from its published .avsc files."""
    folder = data / LSST_DIR
    return load_schema_ordered([str(folder / f"lsst.v11_0.{part}.avsc") for part in (
        "diaSource", "diaForcedSource", "diaObject", "ssSource", "mpc_orbits", "ssObject",
        "alert")])


def first_record(path: Path) -> dict:
    with path.open("rb") as handle:
        return next(fastavro.reader(handle))


@cache
def _ztf_template(data: Path) -> dict:
    return first_record(data / ZTF_DIR / "alerts" / ZTF_PACKET)


def ztf_record(data: Path, *, object_id: str, candid: int, ra: float, dec: float,
               jd: float = 2461365.5, magpsf: float = 18.5, fid: int = 2,
               history: bool = False, cutouts: bool = False) -> dict:
    """A ZTF alert record: the real packet's candidate moved to another object and place."""
    record = copy.deepcopy(_ztf_template(data))
    record.update(objectId=object_id, candid=candid, fp_hist=None)
    record["candidate"].update(ra=ra, dec=dec, candid=candid, jd=jd, magpsf=magpsf, fid=fid,
                               isdiffpos="t", sigmapsf=0.05)
    if not history:
        record["prv_candidates"] = None
    if not cutouts:
        record.update(cutoutScience=None, cutoutTemplate=None, cutoutDifference=None)
    return record


def ztf_negative_object(data: Path) -> dict:
    """ZTF26aaanegg: a positive detection (18.4 r), two negative ones (isdiffpos 'f' and '0'),
    a non-detection to 20.7 r, and its alert's own detection negative (19.2 r)."""
    record = ztf_record(data, object_id="ZTF26aaanegg", candid=900, ra=150.0, dec=2.0,
                        jd=2461365.5, magpsf=19.2, history=True)
    record["candidate"]["isdiffpos"] = "f"          # the alert's own detection is negative
    limit = record["prv_candidates"][0]             # a real non-detection of the packet
    previous = []
    for i, (sign, mag) in enumerate((("t", 18.4), ("f", 19.0), ("0", 19.1))):
        point = copy.deepcopy(limit)
        point.update(candid=800 + i, jd=2461360.5 + i, magpsf=mag, sigmapsf=0.08,
                     isdiffpos=sign, fid=2)
        previous.append(point)
    limit.update(jd=2461364.5, diffmaglim=20.7, fid=2)
    record["prv_candidates"] = [*previous, limit]
    return record


def ztf_packet(data: Path, records: list[dict] | None = None, **fields) -> bytes:
    """ZTF Avro bytes of ``records`` (or of one record made from ``fields``)."""
    buffer = io.BytesIO()
    fastavro.writer(buffer, ztf_schema(data), records or [ztf_record(data, **fields)])
    return buffer.getvalue()


def lsst_packet(data: Path, *, object_id: int, source_id: int, ra: float, dec: float,
                flux_njy: float = 5000.0, mjd: float = 61360.2) -> bytes:
    """A Rubin alert: the project's fake alert moved to another object and place."""
    record = first_record(data / LSST_DIR / "fakeAlert.avro")
    record["diaSourceId"] = source_id
    record["diaSource"].update(diaSourceId=source_id, ra=ra, dec=dec, psfFlux=flux_njy,
                               psfFluxErr=flux_njy / 50, midpointMjdTai=mjd)
    record["diaObject"].update(diaObjectId=object_id, ra=ra, dec=dec)
    record["prvDiaSources"] = None
    buffer = io.BytesIO()
    fastavro.writer(buffer, lsst_schema(data), [record])
    return buffer.getvalue()


# TNS public objects CSV: a date line, then the header as TNS publishes it.
TNS_COLUMNS = (
    "objid", "name_prefix", "name", "ra", "declination", "redshift", "typeid", "type",
    "reporting_groupid", "reporting_group", "source_groupid", "source_group", "discoverydate",
    "discoverymag", "discmagfilter", "filter", "reporters", "time_received", "internal_names",
    "Discovery_ADS_bibcode", "Class_ADS_bibcodes", "creationdate", "lastmodified")
TNS_ROW = (
    "160001", "SN", "2026abc", "{ra}", "{dec}", "0.034", "3", "SN Ia", "48", "ZTF", "48", "ZTF",
    "2026-11-10 08:00:00.000", "18.6", "111", "r", "ZTF team", "2026-11-10 09:00:00",
    "ZTF26aaabcde, ATLAS26xyz", "", "", "2026-11-10 09:00:00", "2026-11-12 10:00:00")
TNS_CSV = "\n".join(['"2026-11-21 00:00:00"', ",".join(f'"{c}"' for c in TNS_COLUMNS),
                     ",".join(f'"{c}"' for c in TNS_ROW)]) + "\n"


def tns_csv(ra: float, dec: float) -> bytes:
    return TNS_CSV.format(ra=ra, dec=dec).encode()


def tns_json(ra: float, dec: float, name: str = "2026abd") -> bytes:
    """A TNS API get/object reply."""
    reply = {"objname": name, "name_prefix": "AT", "objid": 160002,
             "ra": "12:00:00.000", "dec": "+10:00:00.00", "radeg": ra, "decdeg": dec,
             "redshift": None, "object_type": {"name": None, "id": None},
             "internal_names": "Gaia26abc", "discoverydate": "2026-11-11 01:00:00.000",
             "discoverymag": 19.1}
    return json.dumps({"id_code": 200, "id_message": "OK", "data": {"reply": reply}}).encode()


ATLAS_HEADER = ("###MJD          m      dm   uJy   duJy F err chi/N     RA       Dec        x"
                "        y     maj   min   phi  apfit mag5sig Sky   Obs")


def atlas_forced(ra: float, dec: float) -> bytes:
    """ATLAS forced photometry: two detections in o and c, one non-detection."""
    rows = [
        f"61360.5123  17.950  0.020   239    4 o  0  1.10 {ra:.6f} {dec:+.6f}  5000.0  5000.0"
        "  2.2  2.0  10.0 -0.40 19.80 20.20 02a61360o0100o",
        f"61362.4801  18.110  0.030   206    6 c  0  0.95 {ra:.6f} {dec:+.6f}  4000.0  4000.0"
        "  2.1  2.0  11.0 -0.40 19.90 20.30 02a61362o0200c",
        f"61364.4400 -20.500  2.000   -10   12 o  0  1.02 {ra:.6f} {dec:+.6f}  4100.0  4100.0"
        "  2.1  2.0  11.0 -0.40 19.60 20.10 02a61364o0300o",
    ]
    return ("\n".join([ATLAS_HEADER, *rows]) + "\n").encode()


GAIA_HEADER = ("#Name,Date,RaDeg,DecDeg,AlertMag,HistoricMag,HistoricStdDev,Class,Published,"
               "Comment,TNSid")


def gaia_alerts(rows: list[tuple[str, float, float, float, str]]) -> bytes:
    """Gaia alerts.csv rows (name, ra, dec, G Vega mag, TNS id)."""
    lines = [GAIA_HEADER] + [
        f'{name},2026-11-15 04:10:00,{ra},{dec},{mag},,,unknown,2026-11-16 10:00:00,'
        f'"candidate SN, hostless",{tns}' for name, ra, dec, mag, tns in rows]
    return ("\n".join(lines) + "\n").encode()


def multiorder_skymap(ra: float, dec: float) -> bytes:
    """A small multi-order sky map (UNIQ, PROBDENSITY) peaked at (ra, dec), as LVK writes."""
    import cdshealpix
    from astropy import units as u
    from astropy.coordinates import Latitude, Longitude

    order = 6
    npix = 12 * 4 ** order
    ipix = np.arange(npix, dtype=np.uint64)
    lon, lat = cdshealpix.nested.healpix_to_lonlat(ipix, order)
    centre = cdshealpix.nested.lonlat_to_healpix(Longitude(ra * u.deg), Latitude(dec * u.deg),
                                                order)
    c_lon, c_lat = cdshealpix.nested.healpix_to_lonlat(np.atleast_1d(centre), order)
    cos_d = (np.sin(lat.rad) * np.sin(c_lat.rad[0])
             + np.cos(lat.rad) * np.cos(c_lat.rad[0]) * np.cos(lon.rad - c_lon.rad[0]))
    density = np.exp((cos_d - 1) / (np.radians(5.0) ** 2))
    density /= density.sum() * (4 * np.pi / npix)
    uniq = 4 * 4 ** order + ipix.astype(np.int64)
    table = Table({"UNIQ": uniq, "PROBDENSITY": density})
    table["PROBDENSITY"].unit = "1 / sr"
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(table)])
    buffer = io.BytesIO()
    hdus.writeto(buffer)
    return buffer.getvalue()


def lvk_notice(superevent: str, alert_type: str = "PRELIMINARY", ra: float = 150.0,
               dec: float = 2.0) -> bytes:
    """An IGWN (LVK) GCN Kafka JSON notice with its base64 multi-order sky map."""
    event = None
    if alert_type != "RETRACTION":
        event = {"time": "2026-11-20T03:12:45.123Z", "far": 9.1e-14, "significant": True,
                 "instruments": ["H1", "L1", "V1"], "group": "CBC", "pipeline": "gstlal",
                 "search": "AllSky",
                 "properties": {"HasNS": 0.98, "HasRemnant": 0.71, "HasMassGap": 0.01},
                 "classification": {"BNS": 0.95, "NSBH": 0.04, "BBH": 0.0,
                                    "Terrestrial": 0.01},
                 "duration": None, "central_frequency": None,
                 "skymap": base64.b64encode(multiorder_skymap(ra, dec)).decode()}
    notice = {"alert_type": alert_type, "time_created": f"2026-11-20T03:{len(alert_type):02d}"
              ":00Z", "superevent_id": superevent,
              "urls": {"gracedb": f"https://gracedb.ligo.org/superevents/{superevent}/view/"},
              "event": event, "external_coinc": None}
    return json.dumps(notice).encode()


def swift_bat_notice(trigger: int = 1234567, ra: float = 210.5, dec: float = 54.3) -> bytes:
    """A GCN Unified Schema notice (Swift BAT GRB)."""
    return json.dumps({
        "$schema": "https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/swift/bat/guano.schema.json",
        "mission": "Swift", "instrument": "BAT", "messenger": "EM", "alert_type": "initial",
        "alert_datetime": "2026-11-20T05:00:10Z", "trigger_time": "2026-11-20T04:59:58Z",
        "id": [str(trigger)], "ra": ra, "dec": dec, "ra_dec_error": 0.05,
        "containment_probability": 0.9}).encode()


def icecube_notice(ra: float = 77.4, dec: float = 5.7) -> bytes:
    """A GCN Unified Schema neutrino notice (IceCube track)."""
    return json.dumps({
        "$schema": "https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/icecube/"
                   "gold_bronze_track_alerts.schema.json",
        "mission": "IceCube", "messenger": "Neutrino", "alert_type": "initial",
        "alert_datetime": "2026-11-20T06:00:00Z", "trigger_time": "2026-11-20T05:58:00Z",
        "id": ["139159_38280211"], "ra": ra, "dec": dec, "ra_dec_error": 0.6}).encode()
