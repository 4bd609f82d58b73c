"""Exposure-time model of SOXS: the time for a signal-to-noise ratio at a magnitude.

Anchored on the instrument paper's sensitivity (``reference_snr`` at ``reference_mag`` in
``reference_exposure`` seconds, airmass 1.2, seeing 1", dark sky) and scaled in the
background-limited regime, where S/N grows as flux x sqrt(time / sky): every factor that
dims the source or brightens the sky is squared in time. The Observing Block issue uses the
same functions.
"""

from __future__ import annotations

import math

from soxsvo.observing.config import ObservingConfig

#: Effective extinction (mag per airmass) over SOXS's 350-2000 nm: La Silla's V-band
#: coefficient (0.15); bluer light loses more, NIR less.
EXTINCTION_MAG_PER_AIRMASS = 0.15
#: Airmass and seeing (arcsec) of the reference sensitivity.
REFERENCE_AIRMASS = 1.2
REFERENCE_SEEING = 1.0
#: How many magnitudes brighter the sky is at full moon than at new moon (ESO sky model,
#: optical, 30-90 deg from the moon); illumination scales it linearly in between.
FULL_MOON_SKY_MAG = 1.2


def exposure_time(mag: float, snr: float, config: ObservingConfig, *, seeing: float = 1.0,
                  airmass: float = REFERENCE_AIRMASS, moon_illumination: float = 0.0) -> float:
    """Seconds of exposure SOXS needs to reach ``snr`` on a source of AB magnitude ``mag``.

    Parameters
    ----------
    mag : float
        AB magnitude of the target (current magnitude from the Marshall).
    snr : float
        Signal-to-noise ratio per resolution element asked for.
    config : ObservingConfig
        The reference sensitivity (``reference_mag``, ``reference_snr``, ``reference_exposure``).
    seeing : float, optional
        Seeing FWHM in arcsec: the extraction aperture, hence the sky under it, grows with it.
    airmass : float, optional
        Airmass of the observation.
    moon_illumination : float, optional
        Illuminated fraction of the moon, 0 (new) to 1 (full).

    Returns
    -------
    float
        Exposure time in seconds, not clipped to the configured limits.
    """
    if snr <= 0 or seeing <= 0 or airmass < 1:
        raise ValueError("snr and seeing must be positive and airmass at least 1")
    dimming_mag = (mag - config.reference_mag
                   + EXTINCTION_MAG_PER_AIRMASS * (airmass - REFERENCE_AIRMASS))
    sky_factor = 10 ** (0.4 * FULL_MOON_SKY_MAG * min(max(moon_illumination, 0.0), 1.0))
    seeing_factor = (seeing / REFERENCE_SEEING) ** 2
    return (config.reference_exposure * (snr / config.reference_snr) ** 2
            * 10 ** (0.8 * dimming_mag) * seeing_factor * sky_factor)


def signal_to_noise(mag: float, seconds: float, config: ObservingConfig, *, seeing: float = 1.0,
                    airmass: float = REFERENCE_AIRMASS, moon_illumination: float = 0.0) -> float:
    """S/N reached in ``seconds`` on a source of AB magnitude ``mag`` (inverse of
    :func:`exposure_time`)."""
    unit = exposure_time(mag, 1.0, config, seeing=seeing, airmass=airmass,
                         moon_illumination=moon_illumination)
    return math.sqrt(seconds / unit)
