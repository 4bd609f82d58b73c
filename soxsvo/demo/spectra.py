"""Synthetic SOXS spectra of transients for the demo archive.

A seeded :class:`numpy.random.Generator` and a transient type give a rest-frame model
(blackbody continuum with the type's broad features), redshifted, dimmed to the requested
magnitude, absorbed by the atmosphere (telluric bands, not corrected, as soxspipe does not),
sampled on each arm's soxspipe grid and given Gaussian noise matching the ``ERR`` array. The
merged spectrum is made with :func:`soxsvo.pipeline.merge.merge_arms`, the pipeline's own
stitching. Everything is vectorised: one UV-VIS + NIR + merged set takes a few ms.

These are illustrations, not physical models: line strengths and velocities are typical,
not fitted to any object.

Examples
--------
>>> rng = np.random.default_rng(42)
>>> obs = synthesize_observation(rng, kind="SN Ia", redshift=0.05, magnitude=18.5)
>>> [s.arm for s in obs]
['UVVIS', 'NIR', 'MERGED']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from soxsvo.phase3.spectrum import Phase3Spectrum, QualityFlag
from soxsvo.pipeline.merge import merge_arms

__all__ = [
    "ARM_GRIDS",
    "KINDS",
    "SyntheticObservation",
    "arm_grid",
    "raw_frame_names",
    "synthesize_arm",
    "synthesize_observation",
    "telluric_transmission",
    "transient_model",
]

#: soxspipe's linear grids [nm]: (start, stop, step) per arm.
ARM_GRIDS = {"UVVIS": (350.0, 850.0, 0.02), "NIR": (800.0, 2000.0, 0.06)}
#: Transient types with a dedicated template; anything else gets a plain blackbody.
KINDS = ("SN Ia", "SN II", "kilonova", "TDE")

C_KMS = 299_792.458
HC_OVER_K_NM = 1.438777e7  # hc/k in nm K
C_ANGSTROM = 2.99792458e18  # speed of light in angstrom/s
#: Telluric bands (observed frame): centre [nm], Gaussian sigma [nm], peak optical depth.
#: Values are typical of Paranal/La Silla at ~2.5 mm water vapour and airmass ~1.2.
TELLURIC_BANDS = (
    (687.5, 1.6, 2.5),    # O2 B
    (720.0, 6.0, 0.35),   # H2O
    (762.0, 2.8, 6.0),    # O2 A: opaque core
    (822.0, 7.0, 0.4),    # H2O
    (935.0, 14.0, 2.5),   # H2O: mostly opaque core
    (1130.0, 22.0, 3.0),  # H2O
    (1395.0, 45.0, 9.0),  # H2O between J and H: opaque
    (1880.0, 60.0, 9.0),  # H2O between H and K: opaque
)
#: Transmission below which a pixel is flagged :attr:`QualityFlag.TELLURIC`.
OPAQUE = 0.2


class SyntheticObservation(NamedTuple):
    """The three products of one SOXS visit."""

    uvvis: Phase3Spectrum
    nir: Phase3Spectrum
    merged: Phase3Spectrum


def arm_grid(arm: str) -> np.ndarray:
    """soxspipe's wavelength grid of ``arm`` ('UVVIS' or 'NIR'), nm, float64."""
    start, stop, step = ARM_GRIDS[arm]
    return start + step * np.arange(int(round((stop - start) / step)) + 1, dtype=np.float64)


def telluric_transmission(wave: np.ndarray) -> np.ndarray:
    """Smooth model of the atmospheric transmission at ``wave`` (nm, observed frame)."""
    tau = np.zeros_like(wave)
    for centre, sigma, depth in TELLURIC_BANDS:
        window = np.abs(wave - centre) < 6 * sigma  # skip far wings: speed
        tau[window] += depth * np.exp(-0.5 * ((wave[window] - centre) / sigma) ** 2)
    return np.exp(-tau)


def _blackbody(wave_nm: np.ndarray, temperature: float) -> np.ndarray:
    x = np.minimum(HC_OVER_K_NM / (wave_nm * temperature), 700.0)
    return wave_nm**-5 / np.expm1(x)


def _profile(lam: np.ndarray, centre: float, velocity: float, sigma_kms: float) -> np.ndarray:
    """Gaussian in velocity space around ``centre`` shifted by ``velocity`` (km/s)."""
    mu = centre * (1.0 + velocity / C_KMS)
    sigma = centre * sigma_kms / C_KMS
    out = np.zeros_like(lam)
    window = np.abs(lam - mu) < 5 * sigma
    out[window] = np.exp(-0.5 * ((lam[window] - mu) / sigma) ** 2)
    return out


# (rest nm, absorption velocity km/s, width km/s, depth, emission amplitude)
_SN_IA_LINES = (
    (395.0, -15000, 6000, 0.65, 0.0),   # Ca II H&K
    (448.1, -11000, 4000, 0.30, 0.0),   # Mg II
    (500.0, -10000, 6000, 0.30, 0.0),   # Fe II blend
    (545.4, -10000, 2500, 0.25, 0.0),   # S II "W"
    (564.0, -10000, 2500, 0.25, 0.0),   # S II "W"
    (635.5, -11000, 3500, 0.50, 0.15),  # Si II: the defining trough near 615 nm
    (777.4, -11000, 3000, 0.20, 0.0),   # O I
    (854.2, -12000, 6000, 0.50, 0.20),  # Ca II NIR triplet
    (1092.0, -11000, 4000, 0.20, 0.0),  # Mg II
)
_SN_II_LINES = (
    (656.3, -8000, 4000, 0.35, 1.20),   # H alpha P-Cygni
    (486.1, -8000, 3500, 0.40, 0.50),   # H beta
    (434.0, -8000, 3500, 0.30, 0.25),   # H gamma
    (587.6, -7000, 3000, 0.25, 0.20),   # He I / Na I D
    (854.2, -7000, 4000, 0.30, 0.25),   # Ca II NIR triplet
    (1093.8, -7000, 3500, 0.10, 0.25),  # Pa gamma
    (1281.8, -7000, 3500, 0.10, 0.40),  # Pa beta
)
_TDE_LINES = (
    (468.6, 0, 7000, 0.0, 0.60),        # He II, broad
    (656.3, 0, 6000, 0.0, 1.00),        # H alpha, broad
    (486.1, 0, 6000, 0.0, 0.40),        # H beta
)


def _lines_model(lines, temperature: float, vscale: float,
                 blue_cut: float | None = None) -> Callable[[np.ndarray], np.ndarray]:
    def model(lam: np.ndarray) -> np.ndarray:
        cont = _blackbody(lam, temperature)
        if blue_cut:  # line blanketing suppresses the near-UV of SNe Ia
            cont = cont * (1.0 - np.exp(-((lam / blue_cut) ** 8)))
        shape = np.ones_like(lam)
        for centre, v_abs, width, depth, emission in lines:
            if depth:
                shape -= depth * _profile(lam, centre, v_abs * vscale, width)
            if emission:
                shape += emission * _profile(lam, centre, 0.0, width * 1.2)
        return cont * np.clip(shape, 0.02, None)

    return model


def transient_model(kind: str | None, rng: np.random.Generator
                    ) -> Callable[[np.ndarray], np.ndarray]:
    """Rest-frame spectral shape of a transient of ``kind`` (arbitrary flux scale).

    Parameters are drawn from ``rng``: temperature (SN Ia 10-12 kK, SN II 12-16 kK,
    kilonova 3-5 kK, TDE 25-40 kK) and a velocity scale of the features.
    """
    vscale = float(rng.uniform(0.85, 1.15))
    if kind == "SN Ia":
        return _lines_model(_SN_IA_LINES, float(rng.uniform(10_000, 12_000)), vscale, 380.0)
    if kind == "SN II":
        return _lines_model(_SN_II_LINES, float(rng.uniform(12_000, 16_000)), vscale)
    if kind == "TDE":
        return _lines_model(_TDE_LINES, float(rng.uniform(25_000, 40_000)), vscale)
    if kind == "kilonova":
        temperature = float(rng.uniform(3_000, 5_000))
        bumps = ((1070.0, 60.0, 0.8), (1550.0, 90.0, 0.6), (2050.0, 120.0, 0.5))

        def kilonova(lam: np.ndarray) -> np.ndarray:
            shape = np.ones_like(lam)
            for centre, sigma, amp in bumps:  # broad r-process blends (lanthanides)
                shape += amp * np.exp(-0.5 * ((lam - centre * vscale ** 0.1) / sigma) ** 2)
            blanket = np.exp(-((450.0 / lam) ** 4))  # strong blue line blanketing
            return _blackbody(lam, temperature) * shape * blanket

        return kilonova
    temperature = float(rng.uniform(6_000, 15_000))
    return lambda lam: _blackbody(lam, temperature)


def _efficiency(wave: np.ndarray, arm: str) -> np.ndarray:
    """Relative throughput of the arm: falls at the ends of its range."""
    start, stop, _ = ARM_GRIDS[arm]
    span = stop - start
    x = (wave - start) / span
    return np.clip(0.12 + 0.88 * np.sin(np.pi * np.clip(x, 0, 1)) ** 0.5, 0.05, 1.0)


def raw_frame_names(mjd_start: float, n: int, step_s: float, offset_s: float = 0.0) -> list[str]:
    """Archive names ``SOXS.<UTC>.fits`` of ``n`` raw frames starting ``mjd_start``."""
    epoch = dt.datetime(1858, 11, 17, tzinfo=dt.UTC)
    names = []
    for k in range(n):
        t = epoch + dt.timedelta(days=mjd_start, seconds=offset_s + k * step_s)
        names.append(f"SOXS.{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}.fits")
    return names


def synthesize_arm(rng: np.random.Generator, model: Callable[[np.ndarray], np.ndarray], arm: str,
                   *, redshift: float, magnitude: float, exptime: float,
                   snr_at_18: float = 25.0) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
    """Observed (wave, flux, err, qual) of one arm for a rest-frame ``model``.

    The flux is scaled so that the source has AB magnitude ``magnitude`` at 620 nm
    (observed), multiplied by the telluric transmission, and perturbed with Gaussian noise
    of the returned ``err``; ``err`` combines source photon noise and a sky/detector floor
    (higher in the NIR), divided by the arm's throughput; ``snr_at_18`` is the S/N per bin
    of an 18 mag source in 1800 s at the centre of UV-VIS.
    """
    wave = arm_grid(arm)
    ref_wave = 620.0
    f_ref = 10 ** (-0.4 * (magnitude + 48.6)) * C_ANGSTROM / (ref_wave * 10.0) ** 2
    rest = wave / (1.0 + redshift)
    model_ref = model(np.array([ref_wave / (1.0 + redshift)]))[0]
    intrinsic = model(rest) * (f_ref / model_ref)
    transmission = telluric_transmission(wave)
    observed = intrinsic * transmission
    snr_ref = snr_at_18 * 10 ** (-0.2 * (magnitude - 18.0)) * np.sqrt(exptime / 1800.0)
    sigma_ref = f_ref / max(snr_ref, 0.5)
    floor = 0.6 if arm == "UVVIS" else 1.0
    # Noise in f_nu-like units (sensitivity is roughly flat in AB mag), back to f_lambda.
    to_nu = (wave / ref_wave) ** 2
    relative = np.clip(observed * to_nu / f_ref, 0, None)
    err = sigma_ref / to_nu * np.sqrt(0.5 * relative + floor) / _efficiency(wave, arm)
    flux = observed + err * rng.standard_normal(wave.size)
    qual = np.zeros(wave.size, dtype=np.int16)
    qual[transmission < OPAQUE] |= QualityFlag.TELLURIC
    # A few hot pixels / cosmic-ray residuals, flagged as the pipeline would.
    hits = rng.choice(wave.size, size=max(1, wave.size // 2000), replace=False)
    flux[hits] += err[hits] * rng.uniform(8.0, 40.0, hits.size)
    qual[hits] |= QualityFlag.BAD_PIXEL
    return wave, flux.astype(np.float32), err.astype(np.float32), qual


def synthesize_observation(rng: np.random.Generator, *, kind: str | None = "SN Ia",
                           redshift: float = 0.03, magnitude: float = 18.5,
                           target: str = "SN 2026abc", ra: float = 150.0, dec: float = -30.0,
                           mjd_obs: float = 61000.1, mjd_end: float | None = None,
                           exptime: float = 1800.0, prog_id: str = "116.28A1.001",
                           obid: int = 3_000_000, prov: dict[str, list[str]] | None = None,
                           n_exposures: int = 4) -> SyntheticObservation:
    """UV-VIS, NIR and merged Phase 3 spectra of one SOXS visit to a transient.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every random choice: the same seed gives the same spectra.
    kind : str
        'SN Ia', 'SN II', 'kilonova' or 'TDE' (others: a featureless blackbody).
    redshift : float
        Redshift applied to the rest-frame template.
    magnitude : float
        AB magnitude at 620 nm (observed); 17-20 is typical of SOXS targets.
    target, ra, dec
        ``OBJECT`` and ICRS position (deg).
    mjd_obs, mjd_end : float
        Start and end of the visit; ``mjd_end`` defaults to start + exptime + 120 s.
    exptime : float
        Total integration per arm (s), split over ``n_exposures`` nodding frames.
    prog_id, obid
        ESO programme and observation block.
    prov : dict, optional
        Raw frame archive names per arm ('UVVIS', 'NIR'); default generated from the times.

    Returns
    -------
    SyntheticObservation
        Three :class:`~soxsvo.phase3.spectrum.Phase3Spectrum`, ready for
        :func:`~soxsvo.phase3.spectrum.write_phase3_spectrum`.
    """
    if mjd_end is None:
        mjd_end = mjd_obs + (exptime + 120.0) / 86400.0
    if prov is None:
        step = exptime / n_exposures
        prov = {"UVVIS": raw_frame_names(mjd_obs, n_exposures, step),
                "NIR": raw_frame_names(mjd_obs, n_exposures, step, offset_s=0.5)}
    model = transient_model(kind, rng)
    arms = {}
    for arm in ("UVVIS", "NIR"):
        wave, flux, err, qual = synthesize_arm(rng, model, arm, redshift=redshift,
                                               magnitude=magnitude, exptime=exptime)
        frames = list(prov.get(arm, []))
        arms[arm] = Phase3Spectrum(
            wave=wave, flux=flux, err=err, qual=qual, object=target, ra=float(ra),
            dec=float(dec), arm=arm, mjd_obs=float(mjd_obs), mjd_end=float(mjd_end),
            exptime=float(exptime), texptime=float(exptime),
            ncombine=max(len(frames), 1), prog_id=prog_id, obids=[int(obid)], prov=frames,
            fluxerr=10.0,  # slit losses and the standard star: ~10 % on the absolute scale
        )
    merged = merge_arms(arms["UVVIS"], arms["NIR"])
    return SyntheticObservation(arms["UVVIS"], arms["NIR"], merged)
