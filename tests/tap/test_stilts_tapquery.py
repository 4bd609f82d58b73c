"""TOPCAT's own TAP client (STILTS ``tapquery``: the same TAP code TOPCAT's TAP window runs)
against `soxsvo serve` on the demo archive: synchronous, asynchronous (UWS) and with an
uploaded table; each result must equal what pyvo reads from the same service."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import numpy as np
import pytest
import pyvo
from astropy.table import Table

pytestmark = pytest.mark.skipif(shutil.which("stilts") is None,
                                reason="STILTS (Debian package stilts) is not installed")

QUERY = ("SELECT TOP 7 obs_publisher_did, s_ra, s_dec, em_min, t_exptime FROM ivoa.obscore "
         "ORDER BY obs_publisher_did")


def tapquery(url: str, *args: str) -> list[dict[str, str]]:
    """Rows of a ``stilts tapquery`` result (CSV on standard output), as strings."""
    done = subprocess.run(["stilts", "tapquery", f"tapurl={url}/tap", "ofmt=csv", "out=-",
                           *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return list(csv.DictReader(io.StringIO(done.stdout)))


def _same_rows(stilts_rows: list[dict[str, str]], table: Table) -> None:
    assert len(stilts_rows) == len(table) > 0
    for row, expected in zip(stilts_rows, table, strict=True):
        assert row["obs_publisher_did"] == str(expected["obs_publisher_did"])
        for name in ("s_ra", "s_dec", "em_min", "t_exptime"):
            assert float(row[name]) == pytest.approx(float(expected[name]), rel=1e-12), name


@pytest.mark.parametrize("mode", ["sync=true", "sync=false"])
def test_sync_and_async_queries_read_by_topcats_client(served_demo, mode) -> None:
    expected = pyvo.dal.TAPService(f"{served_demo}/tap").run_sync(QUERY).to_table()
    _same_rows(tapquery(served_demo, f"adql={QUERY}", mode), expected)


@pytest.mark.parametrize("delete", ["finished", "never"])
def test_async_job_kept_or_deleted_as_the_client_asks(served_demo, delete) -> None:
    service = pyvo.dal.TAPService(f"{served_demo}/tap")
    before = {job.jobid for job in service.get_job_list()}
    tapquery(served_demo, f"adql={QUERY}", "sync=false", f"delete={delete}")
    left = {job.jobid for job in service.get_job_list()} - before
    if delete == "finished":
        assert not left
    else:
        (jobid,) = left
        job = pyvo.dal.AsyncTAPJob(f"{served_demo}/tap/async/{jobid}")
        assert job.phase == "COMPLETED"
        job.delete()


def test_uploaded_positions_crossmatched(served_demo, tmp_path) -> None:
    service = pyvo.dal.TAPService(f"{served_demo}/tap")
    products = service.run_sync(
        "SELECT TOP 5 obs_publisher_did, s_ra, s_dec FROM ivoa.obscore "
        "WHERE dataproduct_type = 'spectrum' ORDER BY obs_publisher_did").to_table()
    mine = Table({"tag": np.array([f"t{i}" for i in range(len(products))]),
                  "ra": np.asarray(products["s_ra"], float),
                  "dec": np.asarray(products["s_dec"], float) + 0.5 / 3600})
    path = tmp_path / "mine.vot"
    mine.write(path, format="votable")
    rows = tapquery(
        served_demo, "nupload=1", f"upload1={path}", "upname1=mine",
        "adql=SELECT m.tag, o.obs_publisher_did FROM TAP_UPLOAD.mine AS m "
        "JOIN ivoa.obscore AS o ON 1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), "
        "CIRCLE('ICRS', m.ra, m.dec, 1.0 / 3600)) WHERE o.dataproduct_type = 'spectrum'")
    found = {(row["tag"], row["obs_publisher_did"]) for row in rows}
    for tag, did in zip(mine["tag"], products["obs_publisher_did"], strict=True):
        assert (str(tag), str(did)) in found
