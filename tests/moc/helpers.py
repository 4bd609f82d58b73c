"""Rows for MOC tests and benchmarks: products in ivoa.obscore, transients, sky maps."""

from __future__ import annotations

import math

import numpy as np
import psycopg
from astropy.io import fits

PRODUCTS_SQL = """
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, sha256,
                          md5, file_size)
SELECT 'ivo://test/' || p, p, 'SCIENCE.SPECTRUM', p || '.fits', p || '.fits', p, p, 1000
FROM unnest(%(did)s::text[]) AS t(p)
"""
OBSCORE_SQL = """
INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, obs_release_date, access_url, access_format, access_estsize, s_ra, s_dec,
    t_min, t_max, facility_name, instrument_name, dp_id, prodcatg)
SELECT 'spectrum', 3, c, p, 'ivo://test/' || p, now() + make_interval(days => rd),
       'http://x/' || p, 'application/fits', 1, ra, dec, t0, t0 + 0.01, 'ESO-NTT', 'SOXS', p,
       'SCIENCE.SPECTRUM'
FROM unnest(%(did)s::text[], %(coll)s::text[], %(ra)s::float8[], %(dec)s::float8[],
            %(t0)s::float8[], %(rd)s::int[]) AS t(p, c, ra, dec, t0, rd)
"""


def random_sky(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform positions on the sphere (degrees)."""
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def add_products(conn: psycopg.Connection, ra, dec, *, prefix: str, collection: str = "SOXS",
                 release_days: int = -1, t0: float = 61000.0) -> list[str]:
    """Insert one spectrum per position; ``release_days`` < 0 makes them public."""
    n = len(ra)
    dids = [f"{prefix}{i:07d}" for i in range(n)]
    conn.execute(PRODUCTS_SQL, {"did": dids})
    conn.execute(OBSCORE_SQL, {
        "did": dids, "coll": [collection] * n, "ra": list(map(float, ra)),
        "dec": list(map(float, dec)), "t0": [t0 + i * 0.1 for i in range(n)],
        "rd": [release_days] * n})
    conn.commit()
    return dids


def add_transients(conn: psycopg.Connection, ra, dec, prefix: str = "AT") -> None:
    """Insert transients at the given positions."""
    conn.execute(
        "INSERT INTO marshall.transient (name, ra, dec) "
        "SELECT %(p)s || i, r, d FROM unnest(%(ra)s::float8[], %(dec)s::float8[]) "
        "WITH ORDINALITY AS t(r, d, i)",
        {"p": prefix, "ra": list(map(float, ra)), "dec": list(map(float, dec))})
    conn.commit()


def gaussian_skymap(ra0: float, dec0: float, sigma_deg: float, base_order: int = 5,
                    fine_order: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """An LVK-style multi-order map: a Gaussian blob, fine cells near it, coarse elsewhere.

    Returns UNIQ and PROBDENSITY (per steradian, normalised to a total of 1).
    """
    import astropy.units as u
    import cdshealpix

    uniq, dens = [], []
    pending = [(base_order, i) for i in range(12 * 4 ** base_order)]
    centre = np.array([math.cos(math.radians(dec0)) * math.cos(math.radians(ra0)),
                       math.cos(math.radians(dec0)) * math.sin(math.radians(ra0)),
                       math.sin(math.radians(dec0))])
    while pending:
        order = pending[0][0]
        ipix = np.array([p for o, p in pending if o == order], dtype=np.uint64)
        pending = [(o, p) for o, p in pending if o != order]
        lon, lat = cdshealpix.healpix_to_lonlat(ipix, order)
        lon, lat = lon.to_value(u.rad), lat.to_value(u.rad)
        vec = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        sep = np.degrees(np.arccos(np.clip(centre @ vec, -1, 1)))
        refine = (sep < 5 * sigma_deg) & (order < fine_order)
        for p in ipix[refine]:
            pending += [(order + 1, int(p) * 4 + k) for k in range(4)]
        keep = ~refine
        uniq.append(4 * 4 ** order + ipix[keep].astype(np.int64))
        dens.append(np.exp(-0.5 * (sep[keep] / sigma_deg) ** 2))
    uniq_a, dens_a = np.concatenate(uniq), np.concatenate(dens)
    order_a = (np.floor(np.log2(uniq_a)).astype(int) - 2) // 2
    area = 4 * math.pi / (12 * 4.0 ** order_a)
    return uniq_a, dens_a / np.sum(dens_a * area)


def skymap_fits(uniq: np.ndarray, probdensity: np.ndarray) -> bytes:
    """The map as an LVK multi-order FITS file (BINTABLE with UNIQ and PROBDENSITY)."""
    import io

    table = fits.BinTableHDU.from_columns([
        fits.Column("UNIQ", "K", array=uniq.astype(np.int64)),
        fits.Column("PROBDENSITY", "D", unit="sr-1", array=probdensity)])
    table.header["PIXTYPE"] = "HEALPIX"
    table.header["ORDERING"] = "NUNIQ"
    table.header["COORDSYS"] = "C"
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buffer)
    return buffer.getvalue()
