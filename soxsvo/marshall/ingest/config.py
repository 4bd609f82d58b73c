"""Ingestion settings (``[alerts]`` and ``[context]`` of ``soxsvo/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass

from soxsvo.config import Settings


@dataclass(frozen=True)
class IngestConfig:
    """How alerts are associated, summarised and put in context.

    Attributes
    ----------
    radius_arcsec : float
        A detection this close to a known transient joins it.
    current_mag_window_days : float
        Detections this long before the latest one count towards the current magnitude.
    batch_alerts : int
        Alerts staged and associated together in one transaction.
    host_radius_arcsec : float
        Galaxies this close to a new transient are host candidates.
    host_max_kpc : float
        Candidates with a redshift farther than this (projected) are not chosen as host.
    star_radius_arcsec : float
        A star, AGN or variable this close to a transient is taken to be it.
    """

    radius_arcsec: float = 1.5
    current_mag_window_days: float = 1.0
    batch_alerts: int = 5000
    host_radius_arcsec: float = 30.0
    host_max_kpc: float = 50.0
    star_radius_arcsec: float = 1.5

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestConfig:
        alerts, context = settings.alerts, settings.context
        return cls(radius_arcsec=float(alerts.radius_arcsec),
                   current_mag_window_days=float(alerts.current_mag_window_days),
                   batch_alerts=int(alerts.batch_alerts),
                   host_radius_arcsec=float(context.host_radius_arcsec),
                   host_max_kpc=float(context.host_max_kpc),
                   star_radius_arcsec=float(context.star_radius_arcsec))
