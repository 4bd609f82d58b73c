"""Build the demo archive: transients, observations, raw frames and registered spectra.

The spectra are written as Phase 3 FITS files and enter the archive through
:func:`soxsvo.archive.register.register_product`, the same path as real pipeline products.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from astropy.time import Time

from soxsvo.archive.obscore_map import night_of
from soxsvo.archive.register import ArchiveConfig, register_product
from soxsvo.demo.night import build_demo_night
from soxsvo.demo.transients import DEMO_EPOCH_MJD, DemoTransient, generate_transients
from soxsvo.marshall.ingest.current_mag import update_current_magnitudes
from soxsvo.observing.config import ObservingConfig

#: Demo programmes: (proposal_id, title, PI, consortium, proprietary months).
PROGRAMMES = (
    ("116.2AZ7.001", "SOXS consortium: classification of transients", "SOXS consortium",
     True, 12),
    ("116.2AZ7.002", "SOXS consortium: follow-up of kilonova and GRB counterparts",
     "SOXS consortium", True, 12),
    ("116.28QK.001", "Tidal disruption events with SOXS", "A. Astronomer", False, 12),
)
_NIGHT_EXPOSURE_S = 600.0


@dataclass(frozen=True)
class DemoResult:
    """What ``build_demo_archive`` did."""

    transients: int
    observations: int
    spectra: int
    created: bool

    @property
    def message(self) -> str:
        """One line for the command line."""
        verb = "built" if self.created else "already present, nothing changed:"
        return (f"demo archive {verb} {self.transients} transients, {self.observations} "
                f"observations, {self.spectra} spectra")


def _counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    return conn.execute(
        "SELECT (SELECT count(*) FROM marshall.transient), (SELECT count(*) FROM soxs.observation),"
        " (SELECT count(*) FROM ivoa.obscore WHERE dataproduct_type = 'spectrum')"
    ).fetchone()


def _insert_transients(conn: psycopg.Connection, transients: list[DemoTransient]) -> list[int]:
    ids = []
    for t in transients:
        first = min((p.mjd for p in t.photometry if not p.upper_limit), default=None)
        ids.append(conn.execute(
            "INSERT INTO marshall.transient (name, ra, dec, discovery_mjd, discovery_survey, "
            "classification, redshift) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING transient_id",
            (t.name, t.ra, t.dec, first, t.aliases[0][1] if t.aliases else None, t.kind,
             t.redshift if t.kind else None),
        ).fetchone()[0])
    with conn.cursor().copy(
        "COPY marshall.alias (name, transient_id, survey) FROM STDIN"
    ) as copy:
        for tid, t in zip(ids, transients, strict=True):
            for name, survey in t.aliases:
                copy.write_row((name, tid, survey))
    columns = ("transient_id, survey, band, mjd, flux_ujy, flux_err_ujy, upper_limit, "
               "orig_value, orig_error, orig_unit, source_id")
    with conn.cursor().copy(f"COPY marshall.photometry ({columns}) FROM STDIN") as copy:
        for tid, t in zip(ids, transients, strict=True):
            for p in t.photometry:
                flux, err = p.flux_ujy()
                copy.write_row((tid, p.survey, p.band, p.mjd, flux, err, p.upper_limit,
                                p.mag if p.mag is not None else p.limit_mag, p.mag_err,
                                "mag(AB)", p.source_id))
    # The current magnitude by the same rule as alert ingestion (one definition).
    update_current_magnitudes(conn, ids)
    return ids


def _arcfile(mjd: float) -> str:
    return "SOXS." + Time(mjd, format="mjd").isot[:23] + ".fits"


@dataclass(frozen=True)
class _Visit:
    transient: DemoTransient
    transient_id: int
    proposal_id: str
    ob_id: int
    mjd_start: float
    exptime: float
    airmass: float
    seeing: float

    @property
    def obs_id(self) -> str:
        return f"SOXS.OB{self.ob_id}.{night_of(self.mjd_start)}"

    @property
    def mjd_end(self) -> float:
        return self.mjd_start + (self.exptime + 120.0) / 86400.0

    def raw_frames(self, arm: str) -> list[tuple[str, float]]:
        """Four nodding exposures per arm; the NIR clock is offset so names never collide."""
        offset = 0.0 if arm == "UVVIS" else 0.5
        step = self.exptime / 4.0
        return [(_arcfile(self.mjd_start + (offset + k * step) / 86400.0), step)
                for k in range(4)]


def _plan_visits(rng: np.random.Generator, transients, ids) -> list[_Visit]:
    visits = []
    for tid, t in zip(ids, transients, strict=True):
        if rng.random() > 0.75:
            continue
        for _ in range(int(rng.integers(1, 3))):
            mjd = t.explosion_mjd + rng.uniform(3.0, 60.0)
            if mjd > DEMO_EPOCH_MJD - 1:
                continue
            night_start = np.floor(mjd) + 0.02 + rng.uniform(0, 0.35)  # 00:30-09:00 UTC
            programme = PROGRAMMES[2] if t.kind == "TDE" else PROGRAMMES[
                1 if t.kind == "kilonova" else 0]
            visits.append(_Visit(
                t, tid, programme[0], 3_000_000 + len(visits), float(night_start),
                _NIGHT_EXPOSURE_S * float(rng.choice([1, 2, 3])),
                float(rng.uniform(1.02, 2.0)), float(rng.uniform(0.5, 1.6)),
            ))
    return visits


def _insert_observations(conn: psycopg.Connection, visits: list[_Visit]) -> None:
    for v in visits:
        conn.execute(
            "INSERT INTO soxs.observation (obs_id, ob_id, ob_name, proposal_id, night, arm, "
            "template, target_name, ra, dec, mjd_start, mjd_end, exptime, airmass, seeing, "
            "transient_id) VALUES (%s, %s, %s, %s, %s, 'BOTH', 'SOXS_slt_obs_AutoNodOnSlit', "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (v.obs_id, v.ob_id, f"OB_{v.transient.name.replace(' ', '')}", v.proposal_id,
             night_of(v.mjd_start), v.transient.name, v.transient.ra, v.transient.dec,
             v.mjd_start, v.mjd_end, v.exptime, v.airmass, v.seeing, v.transient_id),
        )
        for arm in ("UVVIS", "NIR"):
            for arcfile, exptime in v.raw_frames(arm):
                conn.execute(
                    "INSERT INTO soxs.raw_frame (arcfile, obs_id, arm, dpr_tech, mjd_obs, "
                    "exptime, ra, dec) VALUES (%s, %s, %s, 'ECHELLE,SLIT,NODDING', %s, %s, %s, %s)",
                    (arcfile, v.obs_id, arm, Time(arcfile[5:-5], format="isot").mjd, exptime,
                     v.transient.ra, v.transient.dec),
                )


def _write_spectra(rng: np.random.Generator, visit: _Visit, folder: Path) -> list[Path]:
    from soxsvo.demo.spectra import synthesize_observation
    from soxsvo.phase3.spectrum import write_phase3_spectrum

    t = visit.transient
    spectra = synthesize_observation(
        rng, kind=t.kind or "SN Ia", redshift=t.redshift,
        magnitude=t.peak_mag + 0.3, target=t.name, ra=t.ra, dec=t.dec,
        mjd_obs=visit.mjd_start, mjd_end=visit.mjd_end, exptime=visit.exptime,
        prog_id=visit.proposal_id, obid=visit.ob_id,
        prov={arm: [name for name, _ in visit.raw_frames(arm)] for arm in ("UVVIS", "NIR")},
    )
    paths = []
    for spectrum in spectra:
        path = folder / f"{visit.obs_id}_{spectrum.arm}.fits"
        write_phase3_spectrum(spectrum, path)
        paths.append(path)
    return paths


def _register_images(conn: psycopg.Connection, visits: list[_Visit], config: ArchiveConfig,
                     n_images: int, seed: int, folder: Path) -> None:
    """Acquisition images of the oldest visits (most likely public), registered like spectra.

    Their own generator: the spectra stay exactly those of the same seed without images.
    """
    from soxsvo.demo.images import acquisition_image, write_acquisition_image

    rng = np.random.default_rng(seed + 1)
    for visit in sorted(visits, key=lambda v: v.mjd_start)[:n_images]:
        mjd = visit.mjd_start - 300.0 / 86400.0  # acquisition precedes the science exposures
        arcfile = _arcfile(mjd)
        with conn.transaction():
            conn.execute(
                "INSERT INTO soxs.raw_frame (arcfile, obs_id, arm, dpr_catg, dpr_type, dpr_tech,"
                " mjd_obs, exptime, ra, dec) VALUES (%s, %s, 'ACQ', 'ACQUISITION', 'OBJECT', "
                "'IMAGE', %s, 30, %s, %s) ON CONFLICT DO NOTHING",
                (arcfile, visit.obs_id, Time(arcfile[5:-5], format="isot").mjd,
                 visit.transient.ra, visit.transient.dec))
        t = visit.transient
        path = write_acquisition_image(acquisition_image(
            rng, target=t.name, ra=t.ra, dec=t.dec, mjd_obs=mjd, prog_id=visit.proposal_id,
            obid=visit.ob_id, arcfile=arcfile), folder / f"{visit.obs_id}_ACQ.fits")
        register_product(conn, path, config)
        path.unlink()


def build_demo_archive(conn: psycopg.Connection, config: ArchiveConfig, *, n_transients: int,
                       seed: int, workdir: Path, images: int = 0,
                       observing: ObservingConfig | None = None) -> DemoResult:
    """Fill an empty archive with a deterministic demo; leave a non-empty one untouched.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to a migrated soxsvo database.
    config : ArchiveConfig
        Where registered spectra are stored and how they are published.
    n_transients : int
        Number of transients; about three quarters get one or two SOXS visits of three
        spectra each (UV-VIS, NIR, merged).
    seed : int
        Seed of the generator: the same seed gives the same transients, photometry and spectra.
    workdir : Path
        Scratch folder for the FITS files before registration (removed afterwards).
    images : int
        Acquisition-camera images (Phase 3 ``SCIENCE.IMAGE``) to register for the oldest
        visits, so that the archive has an image HiPS; none by default.
    observing : ObservingConfig, optional
        When given, a demo night is planned too (:mod:`soxsvo.demo.night`), so that
        ObsLocTAP has rows.
    """
    existing = _counts(conn)
    conn.rollback()
    if existing[0]:
        return DemoResult(*existing, created=False)
    rng = np.random.default_rng(seed)
    transients = generate_transients(n_transients, rng)
    with conn.transaction():
        conn.cursor().executemany(
            "INSERT INTO soxs.programme VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            PROGRAMMES,
        )
        ids = _insert_transients(conn, transients)
        visits = _plan_visits(rng, transients, ids)
        _insert_observations(conn, visits)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for visit in visits:
            for path in _write_spectra(rng, visit, workdir):
                register_product(conn, path, config)
                path.unlink()
        _register_images(conn, visits, config, images, seed, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if observing is not None:
        build_demo_night(conn, observing)
    counts = _counts(conn)
    conn.rollback()
    return DemoResult(*counts, created=True)
