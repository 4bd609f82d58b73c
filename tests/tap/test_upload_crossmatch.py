"""Upload crossmatch through /tap/sync checked against astropy's own sky matching.

The catalogue and the upload are random positions with crowds at the RA 0/360 seam and near
the north pole, where a wrong join (RA compared linearly, a box instead of a circle) loses or
invents pairs; astropy ``search_around_sky`` on the same numbers gives the pairs a user should
see.
"""

from __future__ import annotations

import io

import numpy as np
import psycopg
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord, search_around_sky
from astropy.io import votable

RADIUS_ARCSEC = 10.0


def _sky(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` positions: a third anywhere, a third across RA 0/360, a third within 1 deg of
    the north pole."""
    k = n // 3
    ra = np.concatenate([rng.uniform(0, 360, n - 2 * k),
                         rng.uniform(-0.05, 0.05, k) % 360, rng.uniform(0, 360, k)])
    dec = np.concatenate([np.degrees(np.arcsin(rng.uniform(-1, 1, n - 2 * k))),
                          rng.uniform(-0.05, 0.05, k), rng.uniform(89.0, 90.0, k)])
    return ra, dec


def _near(rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Positions offset from (ra, dec) by up to twice the radius, never within 5 % of it (so
    that rounding cannot put a pair on the other side of the limit)."""
    sep = np.where(rng.random(len(ra)) < 0.5, rng.uniform(0, 0.95, len(ra)),
                   rng.uniform(1.05, 2.0, len(ra))) * RADIUS_ARCSEC * u.arcsec
    moved = SkyCoord(ra * u.deg, dec * u.deg).directional_offset_by(
        rng.uniform(0, 360, len(ra)) * u.deg, sep)
    return moved.ra.deg % 360, moved.dec.deg


@pytest.fixture
def catalogue(settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3,000 transients in this test's database: (transient_id, ra, dec)."""
    ra, dec = _sky(np.random.default_rng(11), 3000)
    with psycopg.connect(settings.database_url) as conn:
        with conn.cursor().copy("COPY marshall.transient (name, ra, dec) FROM STDIN") as copy:
            for i, (a, d) in enumerate(zip(ra, dec, strict=True)):
                copy.write_row((f"X {i}", float(a), float(d)))
        rows = conn.execute("SELECT transient_id, ra, dec FROM marshall.transient "
                            "ORDER BY transient_id").fetchall()
    ids, ras, decs = (np.array(c) for c in zip(*rows, strict=True))
    return ids, ras, decs


R = f"{RADIUS_ARCSEC}/3600.0"
#: The ways of writing a crossmatch: each gives the same pairs, each probes the catalogue index.
JOINS = [f"DISTANCE(POINT('ICRS', u.ra, u.dec), POINT('ICRS', t.ra, t.dec)) < {R}",
         f"DISTANCE(POINT('ICRS', t.ra, t.dec), POINT('ICRS', u.ra, u.dec)) < {R}",
         f"CONTAINS(POINT('ICRS', t.ra, t.dec), CIRCLE('ICRS', u.ra, u.dec, {R})) = 1",
         f"CONTAINS(POINT('ICRS', u.ra, u.dec), CIRCLE('ICRS', t.ra, t.dec, {R})) = 1"]


@pytest.mark.parametrize("join", JOINS)
def test_crossmatch_equals_astropy_search_around_sky(uws_client, catalogue, join) -> None:
    ids, cat_ra, cat_dec = catalogue
    rng = np.random.default_rng(12)
    pick = rng.choice(len(ids), 1500, replace=False)
    near_ra, near_dec = _near(rng, cat_ra[pick], cat_dec[pick])
    far_ra, far_dec = _sky(rng, 1500)
    up_ra, up_dec = np.concatenate([near_ra, far_ra]), np.concatenate([near_dec, far_dec])
    csv = "id,ra,dec\n" + "".join(f"{i},{float(a)!r},{float(d)!r}\n"
                                  for i, (a, d) in enumerate(zip(up_ra, up_dec, strict=True)))

    answer = uws_client.post("/tap/sync", data={
        "LANG": "ADQL", "UPLOAD": "mine,param:cat", "MAXREC": "100000",
        "QUERY": "SELECT u.id, t.transient_id FROM TAP_UPLOAD.mine AS u "
                 f"JOIN marshall.transient AS t ON {join}",
        "cat": (io.BytesIO(csv.encode()), "cat.csv")})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    table = votable.parse_single_table(io.BytesIO(answer.data), verify="ignore").to_table()
    got = set(zip(table["id"].tolist(), table["transient_id"].tolist(), strict=True))

    i_up, i_cat, _, _ = search_around_sky(SkyCoord(up_ra * u.deg, up_dec * u.deg),
                                          SkyCoord(cat_ra * u.deg, cat_dec * u.deg),
                                          RADIUS_ARCSEC * u.arcsec)
    expected = set(zip(i_up.tolist(), ids[i_cat].tolist(), strict=True))
    assert len(expected) > 700  # the crowds at the seam and the pole really are matched
    assert got == expected
    assert len(table) == len(got)  # no pair twice


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


@pytest.mark.parametrize("join", JOINS)
def test_crossmatch_plan_probes_the_archive_index_without_jit(settings, catalogue,
                                                               join) -> None:
    """What makes the crossmatch fast, in the plan the service runs: one probe of the
    catalogue's q3c index per uploaded row (not a probe of the upload per catalogue row),
    and no JIT compilation (q3c's cost estimates would trigger it)."""
    from soxsvo.access import begin_as_reader, forbid_writes
    from soxsvo.tap.query import prepare
    from soxsvo.tap.uploads import load_upload

    csv = "id,ra,dec\n" + "".join(f"{i},{i * 0.3},{i * 0.1 - 10}\n" for i in range(500))
    with psycopg.connect(settings.database_url) as conn:
        begin_as_reader(conn, 30)
        upload = load_upload(conn, "mine", csv.encode(), 10_000)
        forbid_writes(conn)
        prepared = prepare("SELECT u.id, t.transient_id FROM TAP_UPLOAD.mine AS u JOIN "
                           f"marshall.transient AS t ON {join}",
                           (upload,))
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + prepared.sql).fetchone()[0][0]
    nodes = list(_plan_nodes(plan["Plan"]))
    assert nodes[0]["Node Type"] == "Nested Loop"
    outer, inner = nodes[0]["Plans"]
    assert outer["Relation Name"].startswith("tap_upload_mine")
    assert {n.get("Index Name") for n in _plan_nodes(inner)} >= {"transient_q3c"}
    assert "JIT" not in plan
