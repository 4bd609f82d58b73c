"""The ObsCore queries ESO archive users send (the X1_obscore_eso collection of the IVOA ADQL
queries, ``tests/data/adql/ivoa``) through /tap/sync.

All run unchanged except the two on ESO's ambient-condition tables (``asm.*``), which are
refused with a DALI error saying this archive has no site-monitoring data. The queries that use
ESO's functions (``ESO_INTERSECTION``) and tables (``dbo.raw``, ``phase3v2.*``) are checked for
their results on an archive built for them (``eso_data.py``, fixture ``eso_client``).
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from astropy.io import votable

from tests.adql.conformance import CORPUS, load_cases
from tests.adql.sphere_grid import overlap_area

from . import eso_data as data

CASES = [case for case in load_cases("*/X1_obscore_eso.xml") if case.valid]
ASM = re.compile(r"(from|join|,)\s+asm\.", re.IGNORECASE)


def _queries() -> dict[str, str]:
    """The collection's queries by the label their description starts with (``prov1a``...)."""
    path = CORPUS / "ivoa" / "X1_obscore_eso.xml"
    return {q.findtext("description").split(":")[0].strip(): q.findtext("adql")
            for q in ET.parse(path).getroot().iter("query")}


QUERIES = _queries()


def _run(client, adql: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": adql, "MAXREC": "1000"},
                       headers=headers)


def _table(client, adql: str, token: str | None = None):
    answer = _run(client, adql, token)
    assert answer.status_code == 200, answer.get_data(as_text=True)[-600:]
    return votable.parse_single_table(io.BytesIO(answer.data), verify="ignore").to_table()


def _text(value) -> str | None:
    """A cell as text; NULL (a VOTable writes an empty char array) as None."""
    if np.ma.is_masked(value):
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text or None


@pytest.mark.parametrize("case", [c for c in CASES if not ASM.search(c.adql)],
                         ids=lambda c: c.ident)
def test_eso_obscore_query_runs_unchanged(client, case) -> None:
    answer = _run(client, case.adql)
    assert answer.status_code == 200, answer.get_data(as_text=True)[-600:]
    table = votable.parse_single_table(io.BytesIO(answer.data), verify="ignore")
    assert table.fields


@pytest.mark.parametrize("case", [c for c in CASES if ASM.search(c.adql)],
                         ids=lambda c: c.ident)
def test_ambient_condition_queries_are_refused_with_the_reason(client, case) -> None:
    answer = _run(client, case.adql)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "unknown table 'asm." in text and "site-monitoring" in text, text[-600:]


def test_42_of_the_44_queries_run() -> None:
    assert (len(CASES), sum(not ASM.search(c.adql) for c in CASES)) == (44, 42)


# -- results on the archive built for these queries ------------------------------------------

def _dp_ids(names: list[str], prefix: str) -> dict[str, str]:
    return {name: f"{prefix}{i}.000" for i, name in enumerate(names)}


SRCTBL_IDS = _dp_ids(list(data.SRCTBL), "ADP.2020-01-01T00:00:0")
IMAGE_IDS = _dp_ids(list(data.IMAGES), "ADP.2020-02-01T00:00:0")


def test_odemo1_finds_the_j_source_table_overlapped_over_80_percent(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["oDEMO1"])
    assert sorted(_text(v) for v in table["dp_id"]) == [SRCTBL_IDS["J1"]]


def test_osci2_pairs_images_by_overlapping_area(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["osci2"])
    assert len(table) == 1
    row = table[0]
    dids = [_text(row[i]) for i in (1, 8)]
    assert dids == [f"ivo://test.soxs/soxs?{IMAGE_IDS[k]}" for k in ("IJ", "IH1")]
    expected = overlap_area(data.IMAGES["IJ"][1], data.IMAGES["IH1"][1], (266.42, -28.85), 1.6)
    assert float(row[14]) == pytest.approx(expected, rel=2e-3)
    assert table.columns[14].unit == "deg2"


def test_similar_to_demo1_returns_the_one_overlapping_pair(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["Similar to DEMO 1"])
    ids = [c for c in table.colnames if c.startswith("dp_id")]
    assert [[_text(r[c]) for c in ids] for r in table] == [[IMAGE_IDS["IJ"], IMAGE_IDS["IH1"]]]


def test_raw01_finds_no_xshooter_frame_in_a_soxs_archive_but_finds_soxs_ones(eso_client):
    client, _ = eso_client
    assert len(_table(client, QUERIES["raw01"])) == 0
    soxs = _table(client, QUERIES["raw01"].replace("('SHOOT', 'XSHOOTER')", "('SOXS')"))
    prov2 = "ADP.2015-05-11T10:20:22.733"
    assert [(_text(r["dp_id"]), _text(r["dp_tech"]), _text(r["prog_id"])) for r in soxs] == [
        (data.raw_name(prov2, 0), "ECHELLE,SLIT", "60.A-9022(C)")]


@pytest.mark.parametrize("label", ["prov1a", "prov1b"])
def test_prov1_lists_the_raw_frames_of_a_product(eso_client, label) -> None:
    client, _ = eso_client
    dp_id = re.search(r"archive_id='([^']+)'", QUERIES[label]).group(1)
    table = _table(client, QUERIES[label])
    expected = {data.raw_name(dp_id, k) for k in range(data.PROVENANCE[dp_id])}
    assert len(table) == len(expected) and {_text(v) for v in table["source_file"]} == expected


def test_prov2_tells_raw_frames_known_to_the_archive(eso_client) -> None:
    client, _ = eso_client
    dp_id = "ADP.2015-05-11T10:20:22.733"
    table = _table(client, QUERIES["prov2"])
    rows = sorted(tuple(_text(v) for v in row) for row in table)
    assert rows == [
        (dp_id, "spectrum", data.raw_name(dp_id, 0), None, "SCIENCEECHELLE,SLITOBJECT"),
        (dp_id, "spectrum", data.raw_name(dp_id, 1), None, None),
    ]


def test_prov3_finds_the_product_of_more_than_400_raw_frames(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["prov3"])
    assert [(int(r[0]), _text(r["dp_id"])) for r in table] == [
        (401, "ADP.2019-01-01T00:00:00.401")]


def test_deriv1_lists_products_made_from_a_raw_frame_and_hides_proprietary_ones(eso_client):
    client, pi_token = eso_client
    public = {(d, "SCIENCE.SPECTRUM", f"{d[4:]}_orig.fits") for d in data.DERIVED}
    secret = "ADP.2026-01-01T00:00:00.999"

    def rows(token):
        table = _table(client, QUERIES["deriv1"], token)
        assert {_text(v) for v in table["source_file"]} == {data.SHARED_RAW}
        return {(_text(r["product_id"]), _text(r["product_category"]),
                 _text(r["product_origfile"])) for r in table}

    assert rows(None) == public
    assert rows(pi_token) == public | {(secret, "SCIENCE.SPECTRUM", f"{secret[4:]}_orig.fits")}


def test_proprietary_files_and_provenance_are_invisible_without_the_right(eso_client) -> None:
    client, pi_token = eso_client
    secret = "ADP.2026-01-01T00:00:00.999"
    files = f"SELECT name, category FROM phase3v2.files WHERE archive_id = '{secret}'"
    prov = ("SELECT count(*) AS n FROM phase3v2.provenance "
            f"WHERE source_file = '{data.SECRET_RAW}'")
    assert len(_table(client, files)) == 0
    assert int(_table(client, prov)[0]["n"]) == 0
    assert sorted((_text(r["name"]), _text(r["category"])) for r in
                  _table(client, files, pi_token)) == [
        (f"{secret[4:]}_orig.fits", "SCIENCE.SPECTRUM"),
        (f"{secret[4:]}_preview.png", "ANCILLARY.PREVIEW")]
    assert int(_table(client, prov, pi_token)[0]["n"]) == 1


def test_ots4_describes_dbo_raw(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["ots4"])
    names = {_text(v) for v in table["column_name"]}
    assert {"dp_id", "prog_id", "instrument", "dp_cat", "dp_tech", "dp_type",
            "exp_start"} <= names


# -- the standard ObsCore queries, on the same archive ----------------------------------------

def test_ots1_lists_the_eso_tables_in_order(eso_client) -> None:
    client, _ = eso_client
    names = [_text(v) for v in _table(client, QUERIES["ots1"])["table_name"]]
    assert names == sorted(names)
    assert {"ivoa.obscore", "dbo.raw", "phase3v2.files", "phase3v2.provenance"} <= set(names)


@pytest.mark.parametrize("label", ["osp1", "osp2"])
def test_cone_around_asassn_14lp_counts_its_spectrum(eso_client, label) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES[label])
    assert [(int(r[0]), _text(r[1])) for r in table] == [(1, "spectrum")]


def test_ospfoot1_finds_high_resolution_spectra_inside_the_cone_on_eta_car(eso_client):
    client, _ = eso_client
    table = _table(client, QUERIES["ospfoot1"])
    assert len(table) == 1 and float(table[0]["em_res_power"]) == 30000
    # The slit's west edge (lon 161.266 - 0.5/3600) is east of Eta Car by this much:
    edge = (0.001 - 0.5 / 3600) * math.cos(math.radians(59.684)) * 3600
    assert float(table[0]["arcsec_from_eta_car"]) == pytest.approx(edge, abs=0.01)


def test_ospfoot2_finds_the_high_resolution_spectrum_of_sn1987a(eso_client) -> None:
    client, _ = eso_client
    table = _table(client, QUERIES["ospfoot2"])
    assert [float(r["em_res_power"]) for r in table] == [40000]


def test_ospfoot3_and_4_tell_containing_from_intersecting(eso_client) -> None:
    client, _ = eso_client
    image = "ADP.2021-01-01T00:00:00.005"
    contains = _table(client, QUERIES["ospfoot3"])
    assert [_text(v) for v in contains["dp_id"]] == [image]
    near = _table(client, QUERIES["ospfoot4"])
    assert [_text(v) for v in near["dataproduct_type"]] == ["image", "spectrum"]
    distances = [float(r[4]) for r in near]
    # Inside the image: 0; the slit's edge is ~14.6 arcsec east of RS Pup.
    assert distances[0] == 0 and distances[1] * 3600 == pytest.approx(14.6, abs=0.3)


def test_owc2_finds_the_public_spectra_covering_halpha(eso_client) -> None:
    client, _ = eso_client
    expected = {b.did for b in data.BUILT if b.public and b.dtype == "spectrum"
                and b.band[0] < 656.28e-9 < b.band[1]}
    got = [_text(v) for v in _table(client, QUERIES["owc2"])["obs_publisher_did"]]
    assert len(got) == len(expected) and set(got) == expected


def test_oid_and_ostats1(eso_client) -> None:
    client, _ = eso_client
    assert [_text(v) for v in _table(client, QUERIES["oid"])["dp_id"]] == [data.OID]
    public = sum(b.public for b in data.BUILT)
    assert int(_table(client, QUERIES["oSTATS1"])[0][0]) == public < len(data.BUILT)


def _regular_polygon_area(lat: float, n: int) -> float:
    """Square degrees of the spherical polygon of n vertices evenly spaced on a parallel:
    sum of interior angles minus (n - 2) pi (Girard)."""
    verts = [np.array([math.cos(math.radians(lat)) * math.cos(2 * math.pi * k / n),
                       math.cos(math.radians(lat)) * math.sin(2 * math.pi * k / n),
                       math.sin(math.radians(lat))]) for k in range(n)]
    total = 0.0
    for k, v in enumerate(verts):
        a, b = verts[k - 1], verts[(k + 1) % n]
        ta, tb = a - a.dot(v) * v, b - b.dot(v) * v
        total += math.acos(ta.dot(tb) / np.linalg.norm(ta) / np.linalg.norm(tb))
    return (total - (n - 2) * math.pi) * (180 / math.pi) ** 2


@pytest.mark.parametrize(("label", "north"), [("CCW north polygon", True),
                                              ("CCW south polygon", False)])
def test_ccw_polygons_around_a_pole(eso_client, label, north) -> None:
    client, _ = eso_client
    row = _table(client, QUERIES[label])[0]
    assert float(row[1]) == pytest.approx(_regular_polygon_area(80, 4), rel=1e-9)
    assert (int(row[2]), int(row[3])) == (
        (1, 0) if north else (0, 1))


def test_images_around_the_galactic_centre(eso_client) -> None:
    client, _ = eso_client
    aladin = _table(client, QUERIES["Aladin"])
    assert [_text(v) for v in aladin["dp_id"]] == [IMAGE_IDS["IJ"]]
    # IJ and IH1 cover the Galactic Centre; IH2's nearest edge is ~0.5 deg north of it.
    distances = sorted(float(v) for v in _table(client, QUERIES["osci1"])["dist_from_GC"])
    assert distances[:2] == [0, 0] and distances[2] == pytest.approx(0.5, abs=0.01)
    assert len(distances) == 3


def test_lookups_by_eso_name_keep_their_index_under_row_level_security(db_conn) -> None:
    from soxsvo.access import ANONYMOUS, begin_as_reader

    db_conn.execute("SET enable_seqscan = off")  # an empty table: make the choice visible
    begin_as_reader(db_conn, 10, ANONYMOUS)
    plans = ["\n".join(r[0] for r in db_conn.execute(f"EXPLAIN {query}")) for query in (
        "SELECT product_file FROM phase3v2.provenance WHERE source_file = 'SOXS.x'",
        "SELECT prog_id FROM dbo.raw WHERE dp_id = 'SOXS.x'")]
    db_conn.rollback()
    assert "provenance_eso_name" in plans[0], plans[0]
    assert "raw_frame_eso_name" in plans[1], plans[1]


def test_capabilities_declare_eso_functions(client) -> None:
    root = ET.fromstring(client.get("/tap/capabilities").data)
    udfs = {f.findtext("form"): f.findtext("description") for f in root.iterfind(
        ".//languageFeatures[@type='ivo://ivoa.net/std/TAPRegExt#features-udf']/feature")}
    intersection = "ESO_INTERSECTION(region1 REGION, region2 REGION) -> DOUBLE"
    assert "square degrees" in udfs[intersection]
    assert "ESO_DATEADD_SEC(seconds INTEGER, date TIMESTAMP) -> TIMESTAMP" in udfs
