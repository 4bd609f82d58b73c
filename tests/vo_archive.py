"""The archive the SCS, SIA and registry tests share: the demo with two acquisition-camera
images (one made proprietary), registered under the URL it is served at (so access URLs work),
one admin with an API token, served over HTTP by a threaded werkzeug server for real clients
(pyvo, STILTS).

Built once per test session whichever of those test directories asks first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psycopg
from werkzeug.serving import make_server

from soxsvo.config import Settings
from tests.support import app_over, build_demo_database, free_port

_BUILT: dict[int, VoArchive] = {}


@dataclass(frozen=True)
class Product:
    """One current product as its owner sees it (no row-level security)."""

    did: str
    dp_id: str
    dataproduct_type: str
    ra: float
    dec: float
    released: bool


@dataclass(frozen=True)
class VoArchive:
    url: str
    settings: Settings
    admin_token: str
    products: tuple[Product, ...]

    def of_type(self, kind: str, *, released: bool) -> list[Product]:
        return [p for p in self.products if p.dataproduct_type == kind
                and p.released == released]


def _products(settings: Settings) -> tuple[Product, ...]:
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute(
            "SELECT obs_publisher_did, dp_id, dataproduct_type, s_ra, s_dec, "
            "soxs.is_released(obs_release_date) FROM ivoa.obscore "
            "WHERE superseded IS NOT TRUE ORDER BY dp_id").fetchall()
    return tuple(Product(*row) for row in rows)


def _close_one_image(settings: Settings) -> None:
    """The demo's images are old, hence public: the newest becomes proprietary for a year."""
    with psycopg.connect(settings.database_url) as conn:
        conn.execute("UPDATE ivoa.obscore SET obs_release_date = now() + interval '1 year' "
                     "WHERE dp_id = (SELECT max(dp_id) FROM ivoa.obscore "
                     "WHERE dataproduct_type = 'image')")


def _admin_token(settings: Settings) -> str:
    from soxsvo.access.tokens import create_token
    from soxsvo.access.users import add_user, grant

    with psycopg.connect(settings.database_url) as conn:
        add_user(conn, "vo-admin")
        grant(conn, "vo-admin", role="admin")
        return create_token(conn, "vo-admin", "tests")


def vo_archive(pg_cluster, data_dir):
    """The served archive (a generator: the server stops when the session ends)."""
    key = id(pg_cluster)
    if key in _BUILT:
        yield _BUILT[key]
        return
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = build_demo_database(pg_cluster, "vo_archive", data_dir, base_url=url, images=2)
    _close_one_image(settings)
    token = _admin_token(settings)
    with app_over(settings) as app:
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        _BUILT[key] = VoArchive(url, settings, token, _products(settings))
        try:
            yield _BUILT[key]
        finally:
            server.shutdown()
            _BUILT.pop(key, None)


#: Synthetic released images spread over the sky (for query plans on a realistic size).
IMAGES_SQL = """
INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, original_name, sha256,
                          md5, file_size)
SELECT 'ivo://test/soxs?IMG.' || i, 'IMG.' || i, 'SCIENCE.IMAGE', 'img.fits', 'img.fits',
       md5('c' || i) || md5('d' || i), md5('c' || i), 1000
FROM generate_series(1, %(n)s) AS i;
INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
    obs_publisher_did, obs_release_date, data_rights, access_url, access_format,
    access_estsize, s_ra, s_dec, s_fov, s_region, dp_id, facility_name, instrument_name,
    prodcatg)
SELECT 'image', 2, 'SOXS', 'IMG.' || i, 'ivo://test/soxs?IMG.' || i, '2024-01-01', 'public',
       'http://test/IMG.' || i, 'application/fits', 1, ra, dec, 0.09,
       ARRAY[ra - 0.03, dec - 0.03, ra + 0.03, dec - 0.03, ra + 0.03, dec + 0.03, ra - 0.03,
             dec + 0.03], 'IMG.' || i, 'ESO-NTT', 'SOXS', 'SCIENCE.IMAGE'
FROM (SELECT i, 1 + mod(i::bigint * 7919, 35800) / 100.0 AS ra,
             -80 + mod(i::bigint * 104729, 16000) / 100.0 AS dec
      FROM generate_series(1, %(n)s) AS i) AS positions
"""


def add_images(conn: psycopg.Connection, count: int) -> None:
    """Add ``count`` synthetic public images (3.6' square footprints over the sky) and analyse."""
    for statement in IMAGES_SQL.split(";\n"):
        conn.execute(statement, {"n": count})
    conn.execute("ANALYZE ivoa.obscore")
    conn.commit()
