"""An async TAP job over a table published with ``soxsvo table publish`` (the job worker
learns the operator's tables from the database, as sync TAP does)."""

from __future__ import annotations

import io

import numpy as np
from astropy.io import votable
from astropy.table import Table

from soxsvo.tables.publish import publish_table


def test_async_job_reads_a_published_table(uws, uws_client, uws_worker, db_conn,
                                           tmp_path) -> None:
    path = tmp_path / "stars.parquet"
    Table({"source_id": np.arange(2**40, 2**40 + 30, dtype=np.int64),
           "ra": np.linspace(10, 11, 30), "dec": np.linspace(-5, -4, 30)}).write(path)
    publish_table(db_conn, "cat.stars", path)
    job_id = uws.create("SELECT MAX(source_id) AS biggest, COUNT(*) AS n FROM cat.stars")
    uws_client.post(f"/tap/async/{job_id}/phase", data={"PHASE": "RUN"})
    phase = uws.wait_for(job_id, {"COMPLETED", "ERROR"})
    assert phase == "COMPLETED"
    result = uws_client.get(f"/tap/async/{job_id}/results/result")
    table = votable.parse_single_table(io.BytesIO(result.data)).to_table()
    assert (int(table["biggest"][0]), int(table["n"][0])) == (2**40 + 29, 30)
