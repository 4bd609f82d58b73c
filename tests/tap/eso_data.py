"""A small archive built for ESO's queries (X1_obscore_eso): the identifiers, bands and
footprints those queries name, so that each has a known answer.

Footprints (ESO_INTERSECTION queries, near the Galactic Centre):

* HAWKI source tables (``srctbl``), 7.5 arcmin boxes: J1 with H1 overlapping 96 % of it, J2 with
  H2 overlapping 50 % -> oDEMO1 (overlap > 80 % of J) finds J1 only.
* Images, 2 degree boxes: IJ (J band) with IH1 (H, overlap ~3.4 deg2) and IH2 (H, overlap
  ~1.0 deg2) -> osci2 (overlap > 1.79 deg2) pairs IJ with IH1 only.

Provenance (phase3v2.*, dbo.raw): products with the ``dp_id`` ESO's queries ask for and 1, 42,
2 and 401 raw frames; two products made from ``HAWKI.2015-10-01T09:14:56.450``; raw frames of
programme ``60.A-9022(C)``; and ``SECRET``, a proprietary product of programme ``117.SECR.001``
whose provenance and files only its PI may see.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

J_BAND = (1.18e-6, 1.33e-6)
H_BAND = (1.50e-6, 1.80e-6)
SECRET_PROGRAMME = "117.SECR.001"
SECRET_RAW = "SOXS.2026-01-01T01:00:00.000"
SHARED_RAW = "HAWKI.2015-10-01T09:14:56.450"


def box(lon: float, lat: float, w: float, h: float) -> list[float]:
    """DALI polygon of an ADQL BOX (corners lon +/- w/2, lat +/- h/2)."""
    return [lon - w / 2, lat - h / 2, lon + w / 2, lat - h / 2,
            lon + w / 2, lat + h / 2, lon - w / 2, lat + h / 2]


SRCTBL = {  # name -> (band, footprint)
    "J1": (J_BAND, box(266.42, -29.0, 0.125, 0.125)),
    "H1": (H_BAND, box(266.42, -28.995, 0.125, 0.125)),
    "J2": (J_BAND, box(267.5, -29.5, 0.125, 0.125)),
    "H2": (H_BAND, box(267.5, -29.4375, 0.125, 0.125)),
}
IMAGES = {
    "IJ": (J_BAND, box(266.42, -29.0, 2.0, 2.0)),
    "IH1": (H_BAND, box(266.42, -28.7, 2.0, 2.0)),
    "IH2": (H_BAND, box(266.42, -27.5, 2.0, 2.0)),
}
#: dp_id -> number of raw frames (PROVi)
PROVENANCE = {
    "ADP.2017-10-25T22:38:07.225": 1,
    "ADP.2016-07-29T13:44:04.217": 42,
    "ADP.2015-05-11T10:20:22.733": 2,
    "ADP.2019-01-01T00:00:00.401": 401,
}
DERIVED = ("ADP.2016-01-01T00:00:00.001", "ADP.2016-01-01T00:00:00.002")


def raw_name(dp_id: str, k: int) -> str:
    """The k-th raw frame of product dp_id (dbo.raw dp_id form, no .fits)."""
    return f"SOXS.{dp_id[4:14]}T00:{k // 60:02d}:{k % 60:02d}.000"


@dataclass(frozen=True)
class Built:
    """What a test needs to know of a product ``build`` inserted."""

    dp_id: str
    did: str
    dtype: str
    band: tuple[float, float]
    public: bool


#: Every product of the last ``build``, in insertion order.
BUILT: list[Built] = []


def slit(lon: float, lat: float) -> list[float]:
    """A SOXS slit footprint (1 x 12 arcsec) centred on lon, lat."""
    return box(lon, lat, 1 / 3600, 12 / 3600)


#: Spectra and an image where ESO's cone and footprint queries look: dp_id -> (type,
#: footprint, resolving power).
TARGETED = {
    "ADP.2021-01-01T00:00:00.001": ("spectrum", slit(191.29, -0.46), 5000),   # ASASSN-14lp
    "ADP.2021-01-01T00:00:00.002": ("spectrum", slit(161.266, -59.684), 30000),  # Eta Car
    "ADP.2021-01-01T00:00:00.003": ("spectrum", slit(161.266, -59.684), 5000),   # Eta Car, low R
    "ADP.2021-01-01T00:00:00.004": ("spectrum", slit(83.867, -69.27), 40000),   # SN 1987A
    "ADP.2021-01-01T00:00:00.005": ("image", box(123.3, -34.6, 0.2, 0.2), 5),   # RS Pup inside
    "ADP.2021-01-01T00:00:00.006": ("spectrum", slit(123.2725, -34.5785), 5000),  # 15" off
}
OID = "ADP.2014-10-01T10:19:21.580"


def _product(conn: psycopg.Connection, dp_id: str, *, dtype: str = "spectrum",
             subtype: str | None = None, collection: str = "SOXS", band=(350e-9, 2000e-9),
             region: list[float] | None = None, programme: str = "60.A-9022(C)",
             public: bool = True, gal_lat: float | None = None, res_power: float = 5) -> str:
    did = f"ivo://test.soxs/soxs?{dp_id}"
    BUILT.append(Built(dp_id, did, dtype, band, public))
    conn.execute(
        "INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, "
        "sha256, md5, file_size) VALUES (%s, %s, %s, %s, %s, md5(%s) || md5(%s), md5(%s), 1000)",
        (did, dp_id, f"SCIENCE.{dtype.upper()}", f"p/{dp_id}", f"{dp_id[4:]}_orig.fits",
         dp_id, dp_id, dp_id))
    ra = dec = fov = None
    if region is not None:
        ra, dec = sum(region[0::2]) / (len(region) / 2), sum(region[1::2]) / (len(region) / 2)
        fov = 2 * max(abs(region[i] - ra) + abs(region[i + 1] - dec)
                      for i in range(0, len(region), 2))
    conn.execute(
        "INSERT INTO ivoa.obscore (dataproduct_type, dataproduct_subtype, calib_level, "
        "obs_collection, obs_id, obs_publisher_did, obs_release_date, data_rights, proposal_id, "
        "access_url, access_format, access_estsize, facility_name, instrument_name, dp_id, "
        "prodcatg, em_min, em_max, s_region, s_ra, s_dec, s_fov, gal_lat, em_res_power) "
        "VALUES (%s, %s, 3, %s, %s, %s, (now() AT TIME ZONE 'UTC') + %s::interval, %s, %s, "
        "'u', 'application/fits', 1, 'ESO-NTT', 'SOXS', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (dtype, subtype, collection, dp_id, did, "-1 year" if public else "1 year",
         "public" if public else "proprietary", programme, dp_id, f"SCIENCE.{dtype.upper()}",
         band[0], band[1], region, ra, dec, fov, gal_lat, res_power))
    conn.execute("INSERT INTO soxs.ancillary (publisher_did, name, category) VALUES "
                 "(%s, %s, 'ANCILLARY.PREVIEW')", (did, f"{dp_id[4:]}_preview.png"))
    return did


def _provenance(conn: psycopg.Connection, did: str, raws: list[str]) -> None:
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO soxs.provenance (publisher_did, raw_arcfile, known) "
                        "VALUES (%s, %s, false)", [(did, f"{r}.fits") for r in raws])


def _raw_frames(conn: psycopg.Connection, names: list[str], programme: str,
                tech: str = "ECHELLE,SLIT,NODDING") -> None:
    obs_id = f"obs-{programme}"
    conn.execute(
        "INSERT INTO soxs.observation (obs_id, ob_id, ob_name, proposal_id, night, arm, "
        "target_name, ra, dec, mjd_start, mjd_end, exptime) VALUES "
        "(%s, 42, 'OB', %s, '2025-01-01', 'BOTH', 'SN 2025x', 10, -20, 60676, 60677, 600) "
        "ON CONFLICT DO NOTHING", (obs_id, programme))
    for name in names:
        conn.execute(
            "INSERT INTO soxs.raw_frame (arcfile, obs_id, arm, dpr_catg, dpr_type, dpr_tech, "
            "mjd_obs, exptime, ra, dec) VALUES (%s, %s, 'UVVIS', 'SCIENCE', 'OBJECT', %s, "
            "60676.5, 600, 10, -20)", (f"{name}.fits", obs_id, tech))


def build(conn: psycopg.Connection) -> None:
    """Fill the (empty, migrated) database of ``conn`` and commit."""
    BUILT.clear()
    conn.execute("INSERT INTO soxs.programme (proposal_id, title, pi_name) VALUES "
                 "('60.A-9022(C)', 'ESO test programme', 'A. Person'), "
                 "('60.A-9022(D)', '', ''), (%s, 'Secret programme', 'B. Person')",
                 (SECRET_PROGRAMME,))
    for i, (band, region) in enumerate(SRCTBL.values()):
        _product(conn, f"ADP.2020-01-01T00:00:0{i}.000", dtype="measurements", subtype="srctbl",
                 collection="HAWKI", band=band, region=region, gal_lat=0.1)
    for i, (band, region) in enumerate(IMAGES.values()):
        _product(conn, f"ADP.2020-02-01T00:00:0{i}.000", dtype="image", band=band,
                 region=region)
    for dp_id, n in PROVENANCE.items():
        _provenance(conn, _product(conn, dp_id), [raw_name(dp_id, k) for k in range(n)])
    # prov2's product: its first raw frame is in the archive (dbo.raw), the second is not.
    _raw_frames(conn, [raw_name("ADP.2015-05-11T10:20:22.733", 0)], "60.A-9022(C)",
                tech="ECHELLE,SLIT")
    for dp_id in DERIVED:
        _provenance(conn, _product(conn, dp_id), [SHARED_RAW, raw_name(dp_id, 0)])
    _raw_frames(conn, [f"SOXS.2025-01-01T12:00:0{k}.000" for k in range(3)], "60.A-9022(D)")
    for dp_id, (dtype, region, res_power) in TARGETED.items():
        _product(conn, dp_id, dtype=dtype, region=region, res_power=res_power)
    _product(conn, OID)
    secret = _product(conn, "ADP.2026-01-01T00:00:00.999", programme=SECRET_PROGRAMME,
                      public=False)
    _provenance(conn, secret, [SHARED_RAW, SECRET_RAW])
    conn.commit()
