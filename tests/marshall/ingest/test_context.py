"""Context: catalogues loaded from FITS/CSV, host galaxies with kpc, stellar counterparts."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.cosmology import Planck18
from astropy.table import Table
from click.testing import CliRunner

from soxsvo.cli import main
from soxsvo.marshall.context import CatalogError, crossmatch_transients, load_catalog
from tests.marshall.ingest import samples

ARCSEC = 1 / 3600


def glade_like_csv(path, rows) -> None:
    """Galaxies as in GLADE+ (GLADE_no, RA, Dec, z_helio, B magnitude)."""
    lines = ["GLADE_no,RA,Dec,z_helio,B"] + [f"{n},{ra},{dec},{z},{b}"
                                             for n, ra, dec, z, b in rows]
    path.write_text("\n".join(lines) + "\n")


def gaia_like_fits(path, rows) -> None:
    """Stars as in Gaia DR3 (source_id, ra, dec, phot_g_mean_mag)."""
    table = Table(rows=rows, names=("source_id", "ra", "dec", "phot_g_mean_mag"),
                  dtype=(np.int64, np.float64, np.float64, np.float32))
    table["ra"].unit = table["dec"].unit = "deg"
    table.write(path, format="fits")


def milliquas_like_csv(path, rows) -> None:
    lines = ["NAME,RA,DEC,TYPE,Z"] + [f"{n},{ra},{dec},Q,{z}" for n, ra, dec, z in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def catalogues(db_conn, tmp_path):
    glade = tmp_path / "glade.csv"
    glade_like_csv(glade, [
        (1, 150.0 + 10 * ARCSEC, 2.0, 0.05, 15.1),     # 10" from the transient at z=0.05
        (2, 150.0, 2.0 - 4 * ARCSEC, 0.30, 19.0),       # 4" but at z=0.3: ~18 kpc
        (3, 150.0 + 25 * ARCSEC, 2.0, 0.40, 20.0),      # 25" at z=0.4: > 50 kpc
        (4, 30.0, 30.0, 0.01, 12.0),                    # far away
    ])
    gaia = tmp_path / "gaia_dr3.fits"
    gaia_like_fits(gaia, [(4295806720, 80.0, -10.0 + 0.4 * ARCSEC, 16.2),
                          (4295806721, 80.0, -10.0 + 20 * ARCSEC, 14.0)])
    agn = tmp_path / "milliquas.csv"
    milliquas_like_csv(agn, [("SDSS J0001", 0.0002, 0.0, 1.2)])
    loaded = [load_catalog(db_conn, "glade", glade, kind="galaxy"),
              load_catalog(db_conn, "gaia_dr3", gaia, kind="star"),
              load_catalog(db_conn, "milliquas", agn, kind="agn")]
    return loaded


def test_catalogues_load_with_guessed_columns(catalogues, db_conn) -> None:
    glade, gaia, _ = catalogues
    assert glade.columns == {"ra": "RA", "dec": "Dec", "id": "GLADE_no", "z": "z_helio",
                             "mag": None}
    assert gaia.columns["mag"] == "phot_g_mean_mag" and gaia.rows == 2
    rows = db_conn.execute("SELECT name, kind, row_count FROM marshall.catalog ORDER BY name"
                           ).fetchall()
    assert rows == [("gaia_dr3", "star", 2), ("glade", "galaxy", 4), ("milliquas", "agn", 1)]
    # Each catalogue is a partition with its own q3c index.
    plan = db_conn.execute(
        "EXPLAIN SELECT * FROM marshall.catalog_source WHERE catalog = 'glade' AND "
        "q3c_radial_query(ra, dec, 150, 2, 0.01)").fetchall()
    assert "catalog_glade" in str(plan) and "catalog_gaia_dr3" not in str(plan)


def test_reload_replaces_the_catalogue(catalogues, db_conn, tmp_path) -> None:
    newer = tmp_path / "glade2.csv"
    glade_like_csv(newer, [(9, 10.0, 10.0, 0.02, 14.0)])
    load_catalog(db_conn, "glade", newer, kind="galaxy")
    assert db_conn.execute("SELECT source_id FROM marshall.catalog_source WHERE catalog = "
                           "'glade'").fetchall() == [("9",)]


def _ingest_at(data_dir, ingest, db_conn, name, candid, ra, dec) -> int:
    ingest(samples.ztf_packet(data_dir, object_id=name, candid=candid, ra=ra, dec=dec))
    return db_conn.execute("SELECT transient_id FROM marshall.transient WHERE name = %s",
                           (name,)).fetchone()[0]


def test_new_transient_gets_its_host_with_kpc(catalogues, data_dir, ingest,
                                              db_conn) -> None:
    tid = _ingest_at(data_dir, ingest, db_conn, "ZTF26aaahost", 1, 150.0, 2.0)
    rows = db_conn.execute(
        "SELECT source_id, separation_arcsec, redshift, distance_mpc, projected_kpc, best "
        "FROM marshall.crossmatch WHERE transient_id = %s ORDER BY source_id", (tid,)
    ).fetchall()
    assert [r[0] for r in rows] == ["1", "2", "3"]
    by_id = {r[0]: r for r in rows}
    # Host: the nearest galaxy within 50 kpc -> galaxy 2 (4" at z=0.3), not 3 (too far).
    assert [r[0] for r in rows if r[5]] == ["2"]
    scale = Planck18.kpc_proper_per_arcmin(0.3).value / 60
    assert by_id["2"][1] == pytest.approx(4.0, abs=1e-3)
    assert by_id["2"][4] == pytest.approx(4.0 * scale, rel=1e-4)
    assert by_id["2"][3] == pytest.approx(Planck18.luminosity_distance(0.3).value, rel=1e-6)
    assert by_id["3"][4] > 50
    context = db_conn.execute("SELECT context FROM marshall.transient WHERE transient_id = %s",
                              (tid,)).fetchone()[0]
    assert context == "host"


def test_stellar_match_beats_a_host(catalogues, data_dir, ingest, db_conn) -> None:
    tid = _ingest_at(data_dir, ingest, db_conn, "ZTF26aaastar", 2, 80.0, -10.0)
    best = db_conn.execute(
        "SELECT catalog, source_id, kind FROM marshall.crossmatch WHERE transient_id = %s AND "
        "best", (tid,)).fetchall()
    assert best == [("gaia_dr3", "4295806720", "star")]
    # The star 20" away is not the transient and is not recorded.
    assert db_conn.execute("SELECT count(*) FROM marshall.crossmatch WHERE transient_id = %s",
                           (tid,)).fetchone()[0] == 1
    assert db_conn.execute("SELECT context FROM marshall.transient WHERE transient_id = %s",
                           (tid,)).fetchone()[0] == "star"


def test_agn_match_across_ra_zero(catalogues, data_dir, ingest, db_conn) -> None:
    tid = _ingest_at(data_dir, ingest, db_conn, "ZTF26aaaagnn", 3, 359.99990, 0.0)
    assert db_conn.execute("SELECT context FROM marshall.transient WHERE transient_id = %s",
                           (tid,)).fetchone()[0] == "agn"


def test_transient_without_neighbours_has_context_none(catalogues, data_dir, ingest,
                                                        db_conn) -> None:
    tid = _ingest_at(data_dir, ingest, db_conn, "ZTF26aaalone", 4, 200.0, -40.0)
    assert db_conn.execute("SELECT context FROM marshall.transient WHERE transient_id = %s",
                           (tid,)).fetchone()[0] == "none"
    assert crossmatch_transients(db_conn, [tid]) == 0


@pytest.mark.parametrize(("content", "message"), [
    ("RA,Dec\n10,95\n", "row 1 has no valid position"),
    ("x,y\n1,2\n", "no ra column found"),
    ("RA,Dec\n", "holds no rows"),
    ("SIMPLE  =                    T / damaged", "not a readable fits table"),
])
def test_bad_catalogue_is_refused(db_conn, tmp_path, content, message) -> None:
    path = tmp_path / ("bad.fits" if content.startswith("SIMPLE") else "bad.csv")
    path.write_text(content)
    with pytest.raises(CatalogError, match=message):
        load_catalog(db_conn, "bad", path, kind="galaxy")
    assert db_conn.execute("SELECT count(*) FROM marshall.catalog").fetchone()[0] == 0


def test_catalog_load_command(settings, tmp_path) -> None:
    path = tmp_path / "glade.csv"
    glade_like_csv(path, [(1, 10.0, 10.0, 0.02, 14.0), (2, 11.0, 11.0, 0.03, 15.0)])
    env = {"SOXSVO_DATA_DIR": str(settings.data_path),
           "SOXSVO_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(main, ["catalog", "load", "glade", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "catalogue glade (galaxy): 2 rows loaded" in result.output
    bad = CliRunner().invoke(main, ["catalog", "load", "Bad-Name", str(path)], env=env)
    assert bad.exit_code == 2 and "use lower-case letters" in bad.output
