"""An async result never takes the disk reserve kept for the database (hardening, item 10).

Anybody may start jobs of millions of rows; with the disk below ``[archive] min_free_bytes``
the job ends in ERROR saying so, and leaves no partial file behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soxsvo.config import Settings, load_settings
from soxsvo.tap.uws import jobs


@pytest.fixture
def settings(tmp_path: Path, db_conninfo: str) -> Settings:
    # More than any disk has: every result would eat into the reserve.
    return load_settings({"SOXSVO_DATA_DIR": str(tmp_path / "data"),
                          "SOXSVO_DATABASE_URL": db_conninfo,
                          "SOXSVO_ARCHIVE_MIN_FREE_BYTES": str(10**18)})


def test_result_refused_below_the_reserve(uws, uws_client, uws_worker, settings) -> None:
    job_id = uws.create("SELECT TOP 5 * FROM tap_schema.columns", PHASE="RUN")
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "ERROR"
    message = uws.xml(uws_client.get(f"/tap/async/{job_id}")).find(
        f"{uws.ns}errorSummary/{uws.ns}message").text
    assert "min_free_bytes" in message and "reserve" in message
    assert uws_client.get(f"/tap/async/{job_id}/results/result").status_code == 404
    folder = jobs.job_dir(settings.data_path, job_id)
    assert not list(folder.glob(".result*"))
