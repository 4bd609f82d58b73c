"""Fixtures of the SSA tests: the demo archive's spectra as the archive (owner) sees them, and
``votlint`` over documents (helpers to read answers are in ``helpers.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest


@dataclass(frozen=True)
class DemoSpectrum:
    """One spectrum of the demo archive, read as the table owner (no row-level security)."""

    pubdid: str
    dp_id: str
    target: str
    ra: float
    dec: float
    em_min: float
    em_max: float
    t_min: float
    t_max: float
    snr: float | None
    released: bool
    file_path: str


@pytest.fixture(scope="session")
def demo_spectra(demo_archive) -> list[DemoSpectrum]:
    """Every current spectrum of the demo archive, released or not."""
    with psycopg.connect(demo_archive.database_url) as conn:
        rows = conn.execute(
            "SELECT o.obs_publisher_did, o.dp_id, o.target_name, o.s_ra, o.s_dec, o.em_min, "
            "o.em_max, o.t_min, o.t_max, o.snr, soxs.is_released(o.obs_release_date), "
            "p.file_path FROM ivoa.obscore o JOIN soxs.product p "
            "ON p.publisher_did = o.obs_publisher_did "
            "WHERE o.dataproduct_type = 'spectrum' AND o.superseded IS NOT TRUE").fetchall()
    spectra = [DemoSpectrum(*row) for row in rows]
    assert any(s.released for s in spectra) and not all(s.released for s in spectra), \
        "the demo archive should hold released and proprietary spectra"
    return spectra


@pytest.fixture(scope="session")
def released(demo_spectra) -> list[DemoSpectrum]:
    """The spectra an anonymous caller may see."""
    return [s for s in demo_spectra if s.released]
