"""The SQL HEALPix index behind the MOC-query indexes agrees with cdshealpix."""

from __future__ import annotations

import astropy.units as u
import cdshealpix
import numpy as np

# Poles, RA 0/360 and face edges. Not (0, 0): it is a vertex of four cells at every order and
# the two implementations break that tie differently (a set of measure zero; see docs/moc.md).
SPECIAL_RA = [359.9999999, 0.0, 180.0, 45.0, 90.0, 0.0, 270.0, 123.4, 0.0, 0.0, 360.0]
SPECIAL_DEC = [0.0, 90.0, 90.0, -90.0, 41.8103148957786, -41.81031489578, 89.9999, -89.9999,
               45.0, -12.5, 33.0]


def test_hpx29_matches_cdshealpix(db_conn) -> None:
    rng = np.random.default_rng(1)
    ra = np.concatenate([rng.uniform(0, 360, 3000), SPECIAL_RA])
    dec = np.concatenate([np.degrees(np.arcsin(rng.uniform(-1, 1, 3000))), SPECIAL_DEC])
    rows = db_conn.execute(
        "SELECT soxs.hpx29(r, d) FROM unnest(%s::float8[], %s::float8[]) AS t(r, d)",
        (ra.tolist(), dec.tolist())).fetchall()
    ours = np.array([r[0] for r in rows], dtype=np.int64)
    theirs = cdshealpix.lonlat_to_healpix(np.mod(ra, 360) * u.deg, dec * u.deg, 29)
    assert np.array_equal(ours, theirs.astype(np.int64))


def test_hpx29_null_position(db_conn) -> None:
    assert db_conn.execute("SELECT soxs.hpx29(NULL, 3)").fetchone()[0] is None
