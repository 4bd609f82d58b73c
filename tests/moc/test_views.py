"""The /moc endpoints over the demo archive: MIME types, mocpy round trips, DALI errors."""

from __future__ import annotations

import io
import os
import tempfile

import astropy.units as u
import numpy as np
import psycopg
import pytest
from mocpy import MOC, STMOC, TimeMOC

pytest.importorskip("soxsvo.dali", exc_type=ImportError)

from .helpers import gaussian_skymap, skymap_fits  # noqa: E402


@pytest.fixture(scope="module")
def moc_client(demo_archive):
    from soxsvo.web.app import create_app

    app = create_app(demo_archive)
    if "moc" not in app.blueprints:
        from soxsvo.moc.views import blueprint

        app.register_blueprint(blueprint)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture(scope="module")
def public_spectra(demo_archive):
    with psycopg.connect(demo_archive.database_url) as conn:
        rows = conn.execute("SELECT s_ra, s_dec FROM ivoa.obscore "
                            "WHERE obs_release_date <= now()").fetchall()
    return np.array(rows, dtype=float).reshape(-1, 2)


def _load_fits(cls, data: bytes):
    handle, path = tempfile.mkstemp(suffix=".fits")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    try:
        return cls.load(path, format="fits")
    finally:
        os.unlink(path)


def _is_dali_error(response, status: int = 400) -> bool:
    body = response.get_data(as_text=True)
    return (response.status_code == status and "votable" in response.mimetype
            and 'name="QUERY_STATUS"' in body and 'value="ERROR"' in body)


@pytest.mark.parametrize("kind, cls", [("space", MOC), ("time", TimeMOC),
                                       ("spacetime", STMOC)])
def test_coverage_mocs_round_trip(moc_client, kind: str, cls) -> None:
    fits_response = moc_client.get(f"/moc/{kind}")
    assert fits_response.status_code == 200
    assert fits_response.mimetype == "application/fits"
    moc = _load_fits(cls, fits_response.data)
    for fmt, mime in (("json", "application/json"), ("ascii", "text/plain")):
        response = moc_client.get(f"/moc/{kind}?fmt={fmt}")
        assert response.status_code == 200 and response.mimetype == mime
        assert cls.from_string(response.get_data(as_text=True), format=fmt) == moc


def test_space_moc_covers_public_spectra(moc_client, public_spectra) -> None:
    moc = _load_fits(MOC, moc_client.get("/moc/space?collection=SOXS").data)
    if len(public_spectra):
        assert moc.contains_lonlat(public_spectra[:, 0] * u.deg,
                                   public_spectra[:, 1] * u.deg).all()
    assert int(moc_client.get("/moc/space").headers["X-MOC-Products"]) == len(public_spectra)


@pytest.mark.parametrize("url, status", [("/moc/space?collection=NOPE", 404),
                                         ("/moc/space?fmt=xml", 400),
                                         ("/moc/frequency", 404)])
def test_coverage_errors(moc_client, url: str, status: int) -> None:
    assert _is_dali_error(moc_client.get(url), status)


def test_query_whole_sky_json(moc_client, public_spectra) -> None:
    response = moc_client.post("/moc/query", data={
        "target": "spectra", "fmt": "json",
        "moc": (io.BytesIO(b"0/0-11"), "sky.txt")})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert len(response.json["data"]) == len(public_spectra)
    assert response.json["columns"][0]["name"] == "obs_publisher_did"


def test_query_body_fits_moc_and_votable(moc_client, demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        ra, dec = conn.execute("SELECT ra, dec FROM marshall.transient LIMIT 1").fetchone()
    moc = MOC.from_cone(ra * u.deg, dec * u.deg, radius=0.1 * u.deg, max_depth=12)
    buffer = io.BytesIO()
    moc.serialize(format="fits").writeto(buffer)
    response = moc_client.post("/moc/query?target=transients", data=buffer.getvalue(),
                               content_type="application/fits")
    assert response.status_code == 200
    assert response.mimetype == "application/x-votable+xml"
    from astropy.io.votable import parse_single_table

    table = parse_single_table(io.BytesIO(response.data)).to_table()
    assert len(table) >= 1 and "name" in table.colnames


def test_query_with_skymap(moc_client) -> None:
    data = skymap_fits(*gaussian_skymap(100.0, -30.0, sigma_deg=5.0, fine_order=7))
    response = moc_client.post("/moc/query", data={
        "target": "observations", "credible": "0.9", "fmt": "json",
        "skymap": (io.BytesIO(data), "bayestar.multiorder.fits")})
    assert response.status_code == 200
    assert response.json["target"] == "observations"


@pytest.mark.parametrize("data", [
    {"moc": (io.BytesIO(b"this is not a MOC"), "x.txt")},
    {"moc": (io.BytesIO(b"0/0-11"), "x.txt"), "credible": "1.5"},
    {"moc": (io.BytesIO(b"0/0-11"), "x.txt"), "credible": "abc"},
    {"moc": (io.BytesIO(b"0/0-11"), "x.txt"), "target": "galaxies"},
    {"target": "spectra"},
])
def test_query_errors_are_dali_documents(moc_client, data: dict) -> None:
    assert _is_dali_error(moc_client.post("/moc/query", data=data))


def test_bad_skymap_level_is_400(moc_client) -> None:
    data = skymap_fits(*gaussian_skymap(100.0, -30.0, sigma_deg=5.0, base_order=2,
                                        fine_order=4))
    response = moc_client.post("/moc/query?credible=0", data=data,
                               content_type="application/fits")
    assert _is_dali_error(response)
