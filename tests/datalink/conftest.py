"""A served archive whose ObsCore access URLs point at the server itself.

The shared demo archive is registered with the default public URL, so its ObsCore rows link to
port 8000. Here the port is chosen first, the archive registered with that public URL (the demo
plus one product delivered with associated files and named master calibrations), and
``soxsvo serve`` started on it: every URL a client reads from ObsCore or DataLink works.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pytest
from astropy.io import fits
from astropy.time import Time

from soxsvo.config import Settings
from tests.support import build_demo_database, free_port, soxsvo_serve

#: Master calibrations written into the extra product's header: one ESO archive name, one not.
CALIBRATIONS = (("M.SOXS.2025-01-10T10:00:00.000.fits", "MASTER_FLAT_UVVIS"),
                ("SOXS_MASTER_BIAS_UVVIS.fits", "MASTER_BIAS_UVVIS"))


@dataclass(frozen=True)
class ServedArchive:
    """The served archive: its URL, settings and the extra product's names."""

    url: str
    settings: Settings
    extra_dp_id: str
    extra_did: str
    delivered: dict[str, bytes]
    missing: str


def _write_extra_product(folder: Path) -> tuple[Path, dict[str, bytes], str]:
    """A released UV-VIS spectrum delivered with a 2D and a sky spectrum (a third named
    associated file is not delivered), naming two master calibrations."""
    from soxsvo.demo.spectra import synthesize_observation
    from soxsvo.phase3.spectrum import AssociatedFile, write_phase3_spectrum

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    mjd = Time.now().mjd - 800.0  # taken 2+ years ago: released
    spectrum = synthesize_observation(rng, target="SN 2024dl", ra=40.0, dec=-20.0,
                                      mjd_obs=mjd, prog_id="116.2AZ7.001", obid=3_900_001,
                                      prov={"UVVIS": ["SOXS.2024-01-01T01:00:00.000.fits"],
                                            "NIR": []}).uvvis
    two_d = folder / "SN2024dl_UVVIS_SKYSUB.fits"
    fits.PrimaryHDU(rng.normal(size=(20, 300)).astype(np.float32)).writeto(two_d)
    sky = folder / "SN2024dl_UVVIS_SKYMODEL.fits"
    fits.PrimaryHDU(rng.normal(size=300).astype(np.float32)).writeto(sky)
    missing = "SN2024dl_UVVIS_TELLURIC.fits"
    delivered = {path.name: path.read_bytes() for path in (two_d, sky)}
    spectrum.assoc = [
        AssociatedFile(two_d.name, "ANCILLARY.2DSPECTRUM",
                       hashlib.md5(delivered[two_d.name]).hexdigest()),
        AssociatedFile(sky.name, "ANCILLARY.SKYSPECTRUM",
                       hashlib.md5(delivered[sky.name]).hexdigest()),
        AssociatedFile(missing, "ANCILLARY.TELLURICCORRECTED", None),
    ]
    for index, (name, category) in enumerate(CALIBRATIONS, 1):
        spectrum.extra_header[f"HIERARCH ESO PRO REC1 CAL{index} NAME"] = name
        spectrum.extra_header[f"HIERARCH ESO PRO REC1 CAL{index} CATG"] = category
    path = folder / "SN2024dl_UVVIS.fits"
    write_phase3_spectrum(spectrum, path)
    return path, delivered, missing


def _build(pg_cluster, data_dir: Path, base_url: str) -> tuple[Settings, str, str,
                                                               dict[str, bytes], str]:
    from soxsvo.archive.register import ArchiveConfig, register_product

    settings = build_demo_database(pg_cluster, "datalink_archive", data_dir, base_url=base_url,
                                   images=2)
    config = ArchiveConfig.from_settings(settings)
    with psycopg.connect(settings.database_url) as conn:
        path, delivered, missing = _write_extra_product(data_dir / "incoming")
        registration = register_product(conn, path, config)
    return settings, registration.dp_id, registration.publisher_did, delivered, missing


@pytest.fixture(scope="session")
def datalink_server(pg_cluster, tmp_path_factory) -> ServedArchive:
    """``soxsvo serve`` over an archive registered with its own public URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("datalink-data")
    settings, dp_id, did, delivered, missing = _build(pg_cluster, data_dir, url)
    with soxsvo_serve(settings, port, base_url=url):
        yield ServedArchive(url, settings, dp_id, did, delivered, missing)


def one_row(settings: Settings, query: str, params=()) -> tuple:
    """One row read as the archive owner (test set-up only, never what a user sees)."""
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(query, params).fetchone()
