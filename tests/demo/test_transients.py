"""Demo transients: reproducible, spread over awkward sky, photometry consistent."""

import numpy as np
import pytest

from soxsvo.demo.transients import UJY_ZERO_POINT, generate_transients


def test_same_seed_same_transients() -> None:
    first = generate_transients(50, np.random.default_rng(3))
    second = generate_transients(50, np.random.default_rng(3))
    assert [(t.name, t.ra, t.dec, len(t.photometry)) for t in first] == [
        (t.name, t.ra, t.dec, len(t.photometry)) for t in second
    ]
    other = generate_transients(50, np.random.default_rng(4))
    assert [t.ra for t in other] != [t.ra for t in first]


def test_positions_cover_poles_and_ra_wrap() -> None:
    transients = generate_transients(400, np.random.default_rng(11))
    ras = np.array([t.ra for t in transients])
    decs = np.array([t.dec for t in transients])
    assert ((ras >= 0) & (ras < 360)).all()
    assert ((decs >= -90) & (decs <= 90)).all()
    assert (ras < 2).any() and (ras > 358).any(), "both sides of RA 0/360"
    assert (decs > 85).any() and (decs < -85).any(), "near both poles"


def test_names_unique_and_aliases_per_survey() -> None:
    transients = generate_transients(300, np.random.default_rng(5))
    names = [t.name for t in transients]
    assert len(set(names)) == len(names)
    aliases = [a for t in transients for a, _ in t.aliases]
    assert len(set(aliases)) == len(aliases)
    surveys = {s for t in transients for _, s in t.aliases}
    assert {"TNS", "ZTF", "ATLAS", "Gaia"} <= surveys


def test_flux_density_matches_ab_magnitude() -> None:
    transient = generate_transients(5, np.random.default_rng(2))[0]
    detection = next(p for p in transient.photometry if not p.upper_limit)
    flux, err = detection.flux_ujy()
    assert -2.5 * np.log10(flux) + UJY_ZERO_POINT == pytest.approx(detection.mag)
    assert err == pytest.approx(flux * detection.mag_err * np.log(10) / 2.5)
    limit = next(p for t in generate_transients(30, np.random.default_rng(2))
                 for p in t.photometry if p.upper_limit)
    assert limit.flux_ujy()[1] is None

