"""The SOXS exposure-time model: anchored on the instrument paper, scaled as photon noise."""

from __future__ import annotations

import pytest

from soxsvo.observing.exposure import exposure_time, signal_to_noise
from tests.observing.helpers import config


def test_reference_source_needs_one_hour_for_snr_10() -> None:
    assert exposure_time(20.0, 10.0, config()) == pytest.approx(3600.0)


def test_one_magnitude_fainter_needs_6_3_times_longer() -> None:
    assert exposure_time(21.0, 10.0, config()) / exposure_time(20.0, 10.0, config()) == \
        pytest.approx(10 ** 0.8)


def test_worse_seeing_higher_airmass_and_moon_all_cost_time() -> None:
    base = exposure_time(19.0, 10.0, config())
    assert exposure_time(19.0, 10.0, config(), seeing=2.0) == pytest.approx(4 * base)
    assert exposure_time(19.0, 10.0, config(), airmass=2.0) > base
    assert exposure_time(19.0, 10.0, config(), moon_illumination=1.0) == pytest.approx(
        base * 10 ** (0.4 * 1.2))


def test_signal_to_noise_inverts_exposure_time() -> None:
    seconds = exposure_time(18.5, 25.0, config(), seeing=1.3, airmass=1.5)
    assert signal_to_noise(18.5, seconds, config(), seeing=1.3, airmass=1.5) == \
        pytest.approx(25.0)


def test_nonsense_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="airmass"):
        exposure_time(18.0, 10.0, config(), airmass=0.5)
