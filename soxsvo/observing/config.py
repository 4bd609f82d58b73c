"""The ``[observing]`` settings as the planning code uses them, checked once."""

from __future__ import annotations

from dataclasses import dataclass

from soxsvo.config import Settings
from soxsvo.errors import InputError

TWILIGHTS = ("civil", "nautical", "astronomical")
AUTO_REPLAN = ("off", "propose", "auto")


class PlanningError(InputError):
    """A night cannot be planned as asked: the message says what to change."""


@dataclass(frozen=True)
class FixedBlock:
    """A block every night holds (a telluric or flux standard), at the start of the night."""

    name: str
    ra: float
    dec: float
    minutes: float
    kind: str


@dataclass(frozen=True)
class ObservingConfig:
    """The site, the pointing limits, the overheads and the exposure model of the NTT."""

    longitude: float
    latitude: float
    elevation: float
    min_altitude: float
    max_hour_angle: float
    min_declination: float
    max_declination: float
    min_moon_distance: float
    twilight: str
    step_seconds: int
    overhead_preset_acquisition: float
    overhead_readout_uvvis: float
    overhead_readout_nir: float
    overhead_nod_cycle: float
    reference_mag: float
    reference_snr: float
    reference_exposure: float
    max_exposure: float
    min_exposure: float
    default_snr: float
    default_seeing: float
    gto_share: float
    lowest_priority: int
    fixed_blocks: tuple[FixedBlock, ...]
    auto_replan: str = "propose"
    auto_replan_kinds: tuple[str, ...] = ("GW",)
    auto_replan_min_probability: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> ObservingConfig:
        """Read and check ``settings.observing``; raise :class:`PlanningError` if unusable."""
        section = settings.observing
        values = {name: getattr(section, name) for name in cls.__dataclass_fields__
                  if hasattr(section, name)}
        values.update(longitude=section.site_longitude, latitude=section.site_latitude,
                      elevation=section.site_elevation,
                      fixed_blocks=tuple(_fixed_block(text) for text in section.fixed_blocks),
                      auto_replan_kinds=tuple(section.auto_replan_kinds))
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        """Raise :class:`PlanningError` naming the first setting that cannot work."""
        if self.auto_replan not in AUTO_REPLAN:
            raise PlanningError(f"observing.auto_replan must be one of {', '.join(AUTO_REPLAN)}")
        if self.twilight not in TWILIGHTS:
            raise PlanningError(f"observing.twilight must be one of {', '.join(TWILIGHTS)}")
        if not 0 <= self.gto_share <= 1:
            raise PlanningError("observing.gto_share must lie between 0 and 1")
        if not 0 < self.min_altitude < 90:
            raise PlanningError("observing.min_altitude must lie between 0 and 90 degrees")
        if not 10 <= self.step_seconds <= 900:
            raise PlanningError("observing.step_seconds must lie between 10 and 900")
        if not 0 < self.min_exposure <= self.max_exposure:
            raise PlanningError("observing.min_exposure must be positive and at most "
                                "max_exposure")

    @property
    def overhead_seconds(self) -> float:
        """Overheads of one block: preset + acquisition, one nodding cycle, read-outs."""
        return (self.overhead_preset_acquisition + self.overhead_nod_cycle
                + self.overhead_readout_uvvis + self.overhead_readout_nir)


def _fixed_block(text: str) -> FixedBlock:
    parts = text.split()
    try:
        name, ra, dec, minutes, kind = parts
        return FixedBlock(name, float(ra), float(dec), float(minutes), kind)
    except ValueError:
        raise PlanningError(f"observing.fixed_blocks: {text!r} is not "
                            "'<name> <ra_deg> <dec_deg> <minutes> <kind>'") from None
