"""Latency of the Marshall's list pages and object page with 100,000 transients.

Usage: python benchmarks/bench_marshall.py [--transients 100000] [--points 20] [--repeat 20]
                                           [--database-url URL]

Without ``--database-url`` a private cluster is created and filled (SQL generate_series, this
benchmark only): ``--transients`` transients spread over the sky and the eight workflow lists,
each with two aliases and ``--points`` photometric points in two bands. With it, an existing
soxsvo database is used as it is (nothing is written). Pages are rendered in-process through
the Flask application (the server-side time a request costs, without network), as a consortium
member; prints median and p95 milliseconds per page.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from flask import g

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import scratch_cluster  # noqa: E402

from soxsvo.access import Identity  # noqa: E402
from soxsvo.config import load_settings  # noqa: E402
from soxsvo.web.app import create_app  # noqa: E402

FILL = """
INSERT INTO marshall.transient (name, ra, dec, discovery_mjd, discovery_survey, classification,
                                redshift, current_mag, current_mag_mjd)
SELECT 'AT 2026b' || i, random() * 360, degrees(asin(2 * random() - 1)), 61365 - random() * 400,
       (ARRAY['ZTF', 'ATLAS', 'Gaia', 'LSST'])[1 + i %% 4],
       CASE WHEN i %% 3 = 0 THEN (ARRAY['SN Ia', 'SN II', 'TDE', 'SN Ic'])[1 + i %% 4] END,
       CASE WHEN i %% 3 = 0 THEN 0.01 + random() * 0.1 END, 16 + random() * 6, 61360
FROM generate_series(1, %(n)s) AS i;
UPDATE marshall.workflow SET
    list = (ARRAY['inbox', 'inbox', 'inbox', 'review', 'classification', 'followup', 'report',
                  'complete', 'snoozed', 'archive'])[1 + transient_id %% 10],
    priority = 1 + transient_id %% 4,
    -- the consortium's own (private) classification of one transient in 20
    consortium_type = CASE WHEN transient_id %% 20 = 0
                           THEN (ARRAY['SN Ia', 'TDE', 'SN II'])[1 + transient_id %% 3] END;
INSERT INTO marshall.alias (name, transient_id, survey)
SELECT 'ZTF26' || transient_id, transient_id, 'ZTF' FROM marshall.transient
UNION ALL SELECT name, transient_id, 'TNS' FROM marshall.transient;
INSERT INTO marshall.photometry (transient_id, survey, band, mjd, flux_ujy, flux_err_ujy,
                                 upper_limit, orig_value, orig_unit, source_id)
SELECT t.transient_id, 'ZTF', CASE WHEN k %% 2 = 0 THEN 'ztf-g' ELSE 'ztf-r' END,
       t.discovery_mjd + k * 2, 10 ^ ((23.9 - t.current_mag - 0.05 * k) / 2.5), 1.0, false,
       t.current_mag, 'mag(AB)', t.transient_id || '-' || k
FROM marshall.transient t, generate_series(1, %(points)s) AS k;
"""


def fill(conn: psycopg.Connection, transients: int, points: int) -> None:
    for statement in filter(str.strip, FILL.split(";")):
        conn.execute(statement, {"n": transients, "points": points})
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False


def timed(client, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm: pool, caches, templates
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(answer.data)


def run(database_url: str, data_dir: Path, repeat: int) -> None:
    app = create_app(load_settings({"SOXSVO_DATA_DIR": str(data_dir),
                                    "SOXSVO_DATABASE_URL": database_url}))

    @app.before_request
    def _member():  # benchmark only: a consortium member, as the access layer would set
        g.identity = Identity("bench", frozenset({"consortium"}))

    client = app.test_client()
    with psycopg.connect(database_url) as conn:
        total = conn.execute("SELECT count(*) FROM marshall.transient").fetchone()[0]
        tid = conn.execute("SELECT transient_id FROM marshall.photometry "
                           "ORDER BY photometry_id DESC LIMIT 1").fetchone()[0]
    print(f"{total} transients")
    pages = {
        "inbox, newest first (page 1)": "/marshall/inbox",
        "inbox, brightest first": "/marshall/inbox?sort=mag&order=asc",
        "inbox, page 500": "/marshall/inbox?page=500",
        "inbox, mag <= 18 and survey ZTF": "/marshall/inbox?mag_max=18&survey=ZTF",
        "inbox, name contains '2026b123'": "/marshall/inbox?q=2026b123",
        "inbox, 5 deg cone": "/marshall/inbox?ra=150&dec=2&radius=5",
        "inbox, class TDE": "/marshall/inbox?classification=TDE",
        "follow-up targets by priority": "/marshall/followup?sort=priority&order=asc",
        "object page": f"/marshall/transient/{tid}",
        "API: inbox page of 50": "/api/lists/inbox/transients",
        "API: one transient": f"/api/transients/{tid}",
    }
    print(f"{'page':40s} {'median ms':>10s} {'p95 ms':>8s} {'bytes':>8s}")
    for label, path in pages.items():
        median, p95, size = timed(client, path, repeat)
        print(f"{label:40s} {median:10.1f} {p95:8.1f} {size:8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transients", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        scratch = Path(tempfile.mkdtemp(prefix="sxbm-", dir="/tmp"))
        try:
            run(args.database_url, scratch / "data", args.repeat)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    with scratch_cluster("sxbm-") as (scratch, cluster):
        with psycopg.connect(cluster.conninfo()) as conn:
            started = time.perf_counter()
            fill(conn, args.transients, args.points)
            print(f"filled in {time.perf_counter() - started:.1f} s")
        run(cluster.conninfo(), scratch / "data", args.repeat)


if __name__ == "__main__":
    main()
