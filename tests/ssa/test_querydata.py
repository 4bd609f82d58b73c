"""SSA queryData finds exactly the released spectra a brute-force check over the archive finds."""

from __future__ import annotations

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.time import Time

from .helpers import parse, query_status, table_of

QUERY = {"REQUEST": "queryData"}


def _query(client, **params):
    answer = client.get("/ssa", query_string={**QUERY, **params})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert query_status(answer.data)[0] == "OK"
    return table_of(answer.data)


def _dids(table) -> set[str]:
    return {str(d) for d in table["ssa_pubdid"]}


def test_cone_finds_the_released_spectra_inside_it(client, released):
    centre = released[0]
    size = 2.0
    inside = SkyCoord([s.ra for s in released], [s.dec for s in released], unit="deg") \
        .separation(SkyCoord(centre.ra, centre.dec, unit="deg")).deg <= size / 2
    expected = {s.pubdid for s, keep in zip(released, inside, strict=True) if keep}
    table = _query(client, POS=f"{centre.ra},{centre.dec}", SIZE=str(size), FORMAT="fits")
    assert _dids(table) == expected
    # nearest first
    separations = SkyCoord(table["ssa_ra"], table["ssa_dec"], unit="deg").separation(
        SkyCoord(centre.ra, centre.dec, unit="deg")).deg
    assert list(separations) == sorted(separations)


def test_band_keeps_spectra_overlapping_the_range(client, released):
    lo, hi = 1.0e-6, 1.1e-6  # inside the NIR arm only
    expected = {s.pubdid for s in released if s.em_max >= lo and s.em_min <= hi}
    table = _query(client, BAND=f"{lo}/{hi}", FORMAT="fits", MAXREC="10000")
    assert expected and _dids(table) == expected
    assert set(table["arm"]) <= {"nir", "merged"}
    single = _query(client, BAND="5e-7", FORMAT="fits", MAXREC="10000")
    assert _dids(single) == {s.pubdid for s in released if s.em_min <= 5e-7 <= s.em_max}


def test_time_keeps_observations_overlapping_the_range(client, released):
    mids = sorted((s.t_min + s.t_max) / 2 for s in released)
    start, end = mids[len(mids) // 4], mids[len(mids) // 2]
    iso = Time([start, end], format="mjd").isot
    expected = {s.pubdid for s in released
                if s.t_max >= Time(iso[0]).mjd and s.t_min <= Time(iso[1]).mjd}
    table = _query(client, TIME=f"{iso[0]}/{iso[1]}", FORMAT="fits", MAXREC="10000")
    assert expected and _dids(table) == expected


def test_without_format_each_spectrum_is_listed_once(client, released):
    # As DaCHS and ESO answer: TOPCAT's multi-SSA showed every spectrum twice (FITS and SDM).
    table = _query(client, MAXREC="10000")
    assert len(table) == len(released)
    assert _dids(table) == {s.pubdid for s in released}
    assert set(table["ssa_format"]) == {"application/fits"}


def test_format_lists_fits_as_archived_and_sdm_votables(client, released):
    both = _query(client, FORMAT="all", MAXREC="10000")
    assert len(both) == 2 * len(released)
    fits_rows = _query(client, FORMAT="native", MAXREC="10000")
    assert set(fits_rows["ssa_format"]) == {"application/fits"}
    assert all(str(u).endswith(f"/files/{d}")
               for u, d in zip(fits_rows["ssa_acref"], fits_rows["dp_id"], strict=True))
    assert set(fits_rows["ssa_model"]) == {"Spectrum-1.0"}
    sdm = _query(client, FORMAT="compliant", MAXREC="10000")
    assert set(sdm["ssa_format"]) == {"application/x-votable+xml;content=spectrum"}
    assert all("REQUEST=getData" in str(u) and "FORMAT=votable" in str(u)
               for u in sdm["ssa_acref"])
    assert _dids(sdm) == _dids(fits_rows) == {s.pubdid for s in released}


def test_target_name_matches_names_and_survey_aliases(client, released, demo_archive):
    import psycopg

    target = released[0].target
    with psycopg.connect(demo_archive.database_url) as conn:
        alias = conn.execute("SELECT a.name FROM marshall.alias a JOIN marshall.transient t "
                             "USING (transient_id) WHERE t.name = %s LIMIT 1",
                             (target,)).fetchone()
    expected = {s.pubdid for s in released if s.target == target}
    assert _dids(_query(client, TARGETNAME=target.upper(), FORMAT="fits")) == expected
    if alias is not None:
        assert _dids(_query(client, TARGETNAME=alias[0], FORMAT="fits")) == expected


def test_snr_specrp_collection_and_pubdid(client, released):
    snrs = sorted(s.snr for s in released if s.snr is not None)
    limit = snrs[len(snrs) // 2]
    table = _query(client, SNR=str(limit), FORMAT="fits", MAXREC="10000")
    assert _dids(table) == {s.pubdid for s in released if s.snr is not None and s.snr >= limit}
    assert len(_query(client, SPECRP="1e6", FORMAT="fits")) == 0
    assert len(_query(client, COLLECTION="soxs", FORMAT="fits", MAXREC="10000")) == len(released)
    assert len(_query(client, COLLECTION="2MASS", FORMAT="fits")) == 0
    one = _query(client, PUBDID=released[3].pubdid, FORMAT="fits")
    assert _dids(one) == {released[3].pubdid}


def test_redshift_comes_from_the_marshall(client, released, demo_archive):
    import psycopg

    with psycopg.connect(demo_archive.database_url) as conn:
        redshift = dict(conn.execute("SELECT name, redshift FROM marshall.transient "
                                     "WHERE redshift IS NOT NULL").fetchall())
    table = _query(client, REDSHIFT="0/0.05", FORMAT="fits", MAXREC="10000")
    assert _dids(table) == {s.pubdid for s in released if redshift.get(s.target) is not None
                            and redshift[s.target] <= 0.05}
    assert np.all(np.asarray(table["ssa_redshift"]) <= 0.05)


def test_maxrec_truncates_with_overflow_and_zero_gives_metadata(client, released):
    answer = client.get("/ssa", query_string={**QUERY, "MAXREC": "3", "FORMAT": "fits"})
    doc = parse(answer.data)
    assert len(doc.get_first_table().array) == 3
    statuses = [i.value for i in doc.resources[0].infos if i.name == "QUERY_STATUS"]
    assert statuses == ["OK", "OVERFLOW"]
    empty = _query(client, MAXREC="0")
    assert len(empty) == 0 and "ssa_acref" in empty.colnames


def test_every_column_carries_a_ucd_and_the_ssa_utypes_are_there(client):
    answer = client.get("/ssa", query_string={**QUERY, "MAXREC": "1"})
    fields = parse(answer.data).get_first_table().fields
    assert all(f.ucd for f in fields)
    utypes = {f.utype for f in fields if f.utype}
    for required in ("ssa:Access.Reference", "ssa:Access.Format", "ssa:Access.Size",
                     "ssa:DataID.Title", "ssa:DataID.Collection", "ssa:Curation.PublisherDID",
                     "ssa:Target.Name", "ssa:Char.SpatialAxis.Coverage.Location.Value",
                     "ssa:Char.SpectralAxis.Coverage.Bounds.Start",
                     "ssa:Char.SpectralAxis.Coverage.Bounds.Stop",
                     "ssa:Char.TimeAxis.Coverage.Location.Value", "ssa:Dataset.Length"):
        assert required in utypes
    params = {p.utype: p.value for p in parse(answer.data).get_first_table().params}
    assert params["ssa:Dataset.Type"] == "Spectrum"


def test_metadata_describes_every_input_parameter_and_column(client):
    answer = client.get("/ssa", query_string={**QUERY, "FORMAT": "METADATA"})
    assert answer.status_code == 200
    doc = parse(answer.data)
    inputs = {p.name for p in doc.resources[0].params}
    for name in ("POS", "SIZE", "BAND", "TIME", "FORMAT", "TARGETNAME", "COLLECTION",
                 "PUBDID", "SNR", "SPECRP", "REDSHIFT", "MAXREC", "RESPONSEFORMAT"):
        assert f"INPUT:{name}" in inputs
    assert all(p.description for p in doc.resources[0].params)
    table = doc.get_first_table()
    assert len(table.array) == 0
    assert all(f.description for f in table.fields)
    with_rows = parse(client.get("/ssa", query_string={**QUERY, "MAXREC": "1"}).data)
    assert [f.name for f in table.fields] == [f.name for f in with_rows.get_first_table().fields]


def test_results_link_to_datalink_by_publisher_did(client):
    doc = parse(client.get("/ssa", query_string={**QUERY, "MAXREC": "1"}).data)
    meta = [r for r in doc.resources if r.type == "meta"]
    assert len(meta) == 1 and meta[0].utype == "adhoc:service"
    params = {p.name: p.value for p in meta[0].params}
    assert params["standardID"] == "ivo://ivoa.net/std/DataLink#links-1.1"
    assert params["accessURL"].endswith("/datalink/links")
    (id_param,) = meta[0].groups[0].entries
    assert id_param.name == "ID" and id_param.ref == "ssa_pubdid"


def test_response_formats_are_votable_serialisations(client):
    for fmt in ("votable", "votable/b2", "votable/b", "application/x-votable+xml"):
        answer = client.get("/ssa", query_string={**QUERY, "MAXREC": "2",
                                                   "RESPONSEFORMAT": fmt})
        assert answer.status_code == 200
        assert len(table_of(answer.data)) == 2
