"""From an LVK notice to the re-planned night and its ObsLocTAP rows.

An LVK-format multi-order sky map in a GCN notice (POST /api/alerts) -> the candidates in its
90% region -> ToO blocks in the re-planned night (POST /api/nights/.../replan) -> the observed
ToO in ivoa.obsplan through pyvo, as an anonymous client sees it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
import pyvo
from astropy.time import Time
from werkzeug.serving import make_server

from soxsvo.observing.plans import record_execution
from tests.marshall.ingest import samples
from tests.marshall.web.conftest import CONSORTIUM, install_test_identity
from tests.observing.helpers import NIGHT, add_transient, night, seed_sky
from tests.support import app_over

#: The sample notice's trigger (2026-11-20T03:12:45Z); candidates are found after it.
TRIGGER_MJD = Time("2026-11-20T03:12:45").mjd


@contextmanager
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_lvk_notice_to_replanned_night_to_obsloctap(settings, db_conn) -> None:
    seed_sky(db_conn)
    add_transient(db_conn, "SN2026near", 62.0, -31.0, priority=1)  # planned, near the event
    add_transient(db_conn, "AT2026kilo", 61.0, -29.0, list_name="inbox", priority=4,
                           discovery_mjd=TRIGGER_MJD + 1.5)
    add_transient(db_conn, "AT2026far", 120.0, -60.0, list_name="inbox", priority=4,
                  discovery_mjd=TRIGGER_MJD + 1.5)
    add_transient(db_conn, "AT2026old", 60.5, -30.5, list_name="inbox", priority=4,
                  discovery_mjd=TRIGGER_MJD - 30)
    with app_over(settings) as app:
        install_test_identity(app)
        client = app.test_client()
        notice = client.post("/api/alerts", data=samples.lvk_notice("S261120ab", ra=60.0,
                                                                    dec=-30.0),
                             headers=CONSORTIUM)
        assert notice.status_code == 200 and notice.json["events"] == 1
        assert client.post(f"/api/nights/{NIGHT}/plan", headers=CONSORTIUM).status_code == 201
        replanned = client.post(f"/api/nights/{NIGHT}/replan", headers=CONSORTIUM,
                                json={"too": ["S261120ab"], "now": night().start.isoformat()})
        assert replanned.status_code == 201, replanned.json
        assert "SN2026near" in {b["target"] for b in replanned.json["blocks"]}
        toos = [b for b in replanned.json["blocks"] if b["too"]]
        # Only the candidate inside the 90% region and discovered after the trigger.
        assert [b["target"] for b in toos] == ["AT2026kilo"]
        assert "ToO S261120ab candidate" in toos[0]["reason"]
        record_execution(db_conn, toos[0]["obs_id"], status="done",
                         start=night().start, end=night().time_at(12), actor="night-log",
                         seeing=0.7)
        with served(app) as url:
            rows = pyvo.dal.TAPService(f"{url}/tap").search(
                "SELECT target_name, execution_status, s_ra, s_dec, t_min FROM ivoa.obsplan "
                "WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), "
                "CIRCLE('ICRS', 60.0, -30.0, 5.0))").to_table()
    # Anonymous: the observed ToO with its position; planned targets nearby stay hidden.
    assert list(rows["target_name"]) == ["AT2026kilo"]
    assert list(rows["execution_status"]) == ["Performed"]
    assert rows["t_min"][0] == pytest.approx(Time(night().start).mjd, abs=1e-6)
