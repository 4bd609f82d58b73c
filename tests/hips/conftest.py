"""Fixtures of the HiPS tests: a fresh archive whose HiPS are checked on every request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import pytest

from soxsvo.archive.register import ArchiveConfig, Registration, register_product
from soxsvo.config import Settings, load_settings
from soxsvo.demo.images import acquisition_image, write_acquisition_image


@pytest.fixture
def hips_settings(tmp_path: Path, db_conninfo: str) -> Settings:
    """Settings of a fresh database; small tiles so that a few hundred sources span orders."""
    return load_settings({
        "SOXSVO_DATA_DIR": str(tmp_path / "data"), "SOXSVO_DATABASE_URL": db_conninfo,
        "SOXSVO_HIPS_CHECK_INTERVAL": "0", "SOXSVO_HIPS_CATALOGUE_ROWS_PER_TILE": "5",
        "SOXSVO_HIPS_CATALOGUE_MAX_ORDER": "6", "SOXSVO_HIPS_IMAGE_ORDER": "9",
        "SOXSVO_HIPS_IMAGE_TILE_WIDTH": "128"})


@pytest.fixture
def hips_client(hips_settings: Settings):
    """A test client of an application over that database."""
    from soxsvo.web.app import create_app

    app = create_app(hips_settings)
    app.config["TESTING"] = True
    return app.test_client()


def register_image(settings: Settings, tmp_path: Path, *, ra: float, dec: float, seed: int,
                   mjd: float = 60000.1, obid: int = 3000001, size: int = 256) -> Registration:
    """Write a synthetic acquisition image and register it through the Phase 3 pipeline."""
    hdul = acquisition_image(np.random.default_rng(seed), target=f"T{seed}", ra=ra, dec=dec,
                             mjd_obs=mjd, prog_id="116.2AZ7.001", obid=obid,
                             arcfile="SOXS.2023-02-25T02:24:00.000.fits", size=size)
    path = write_acquisition_image(hdul, tmp_path / f"image-{seed}.fits")
    with psycopg.connect(settings.database_url) as conn:
        return register_product(conn, path, ArchiveConfig.from_settings(settings))
