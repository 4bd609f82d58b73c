"""Planning and re-planning an NTT night: 200 Marshall candidates + 50 ESO targets.

Usage: python benchmarks/bench_night.py [--candidates 200] [--eso 50] [--repeat 10]

A private cluster is created and filled: ``--candidates`` transients in the follow-up and
classification lists (random sky positions south of +30 deg, magnitudes 16-21, priorities 1-3)
and ``--eso`` active ESO targets. Measured, as medians of ``--repeat`` runs (each stored as a
new version of the plan, as the service does):

* the night model once, cold (astroplan's twilight searches; cached afterwards);
* ``plan_night``: load the candidates, schedule, store the version (model cached);
* ``replan_night`` from mid-night with one ToO transient: keep the past, store the version;
* the scheduler alone on the same candidates (no database);
* notice -> re-planned night, end to end: an LVK notice with its multi-order sky map ingested
  (90% region computed, event stored), then tonight re-planned at once (``auto_replan =
  "auto"``) with the candidates in the region as ToOs (the test suite's sample notice).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import scratch_cluster  # noqa: E402

from soxsvo.config import load_settings  # noqa: E402
from soxsvo.marshall.ingest import IngestConfig  # noqa: E402
from soxsvo.marshall.ingest.service import ingest_bytes  # noqa: E402
from soxsvo.observing.config import ObservingConfig  # noqa: E402
from soxsvo.observing.plans import (  # noqa: E402
    cached_night,
    candidates,
    plan_night,
    replan_night,
)
from soxsvo.observing.scheduler import schedule  # noqa: E402
from soxsvo.observing.triggers import events_since, react_to_events  # noqa: E402
from tests.marshall.ingest import samples  # noqa: E402

NIGHT = date(2026, 12, 7)


def fill(conn: psycopg.Connection, n_candidates: int, n_eso: int, seed: int = 1) -> None:
    """Candidates in the follow-up/classification lists, ESO targets, and one ToO transient."""
    rng = np.random.default_rng(seed)
    dec = np.degrees(np.arcsin(rng.uniform(-1, np.sin(np.radians(30)), n_candidates + n_eso)))
    ra = rng.uniform(0, 360, n_candidates + n_eso)
    for i in range(n_candidates):
        tid = conn.execute(
            "INSERT INTO marshall.transient (name, ra, dec, current_mag) VALUES (%s, %s, %s, %s) "
            "RETURNING transient_id", (f"AT2026b{i}", ra[i], dec[i],
                                       float(rng.uniform(16, 21)))).fetchone()[0]
        conn.execute("UPDATE marshall.workflow SET list = %s, priority = %s "
                     "WHERE transient_id = %s",
                     ("followup" if i % 2 else "classification", 1 + i % 3, tid))
    for j in range(n_eso):
        k = n_candidates + j
        conn.execute("INSERT INTO observing.eso_target (programme, name, ra, dec, exposure_s, "
                     "priority) VALUES ('112.BENCH', %s, %s, %s, %s, %s)",
                     (f"ESO-{j}", ra[k], dec[k], float(rng.choice([900, 1800, 2700])),
                      1 + j % 3))
    conn.execute("INSERT INTO marshall.transient (name, ra, dec, current_mag) "
                 "VALUES ('AT2026gw', 60.0, -30.0, 18.5)")
    # Candidates of the sample LVK event (trigger 2026-11-20T03:12:45, map peaked at 60, -30).
    for k in range(5):
        conn.execute("INSERT INTO marshall.transient (name, ra, dec, current_mag, "
                     "discovery_mjd) VALUES (%s, %s, %s, 19.0, 61365.5)",
                     (f"AT2026kn{k}", 58.0 + k, -31.0 + k * 0.5))
    conn.commit()


def _median_ms(run, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def measure(conn: psycopg.Connection, model, config: ObservingConfig, repeat: int) -> None:
    """Time the scheduler, ``plan_night`` and ``replan_night`` on the filled database."""
    targets = candidates(conn, model, config)
    conn.rollback()
    print(f"{len(targets)} targets ({len(config.fixed_blocks)} fixed)")
    ms, worst = _median_ms(lambda: schedule(model, targets), repeat)
    print(f"scheduler alone:        median {ms:7.1f} ms  max {worst:7.1f} ms")
    ms, worst = _median_ms(lambda: plan_night(conn, NIGHT, config, actor="bench"), repeat)
    print(f"plan_night:             median {ms:7.1f} ms  max {worst:7.1f} ms")
    now = model.start + timedelta(hours=model.hours / 2)
    stored = []
    ms, worst = _median_ms(lambda: stored.append(replan_night(
        conn, NIGHT, config, actor="bench", reason="ToO", now=now, too=("AT2026gw",))), repeat)
    print(f"replan_night with ToO:  median {ms:7.1f} ms  max {worst:7.1f} ms")
    plan = stored[-1].plan
    print(f"plan: {len(plan.blocks)} blocks, {len(plan.left_out)} left out; "
          f"GTO {plan.hours('GTO'):.1f} h, ESO {plan.hours('ESO'):.1f} h of {model.hours:.1f} h")
    auto = replace(config, auto_replan="auto")
    notice = samples.lvk_notice("S261120ab", ra=60.0, dec=-30.0)
    start = time.perf_counter()
    since = datetime.now(UTC)
    summary = ingest_bytes(conn, notice, "bench", IngestConfig())
    conn.commit()
    ingested = time.perf_counter()
    reactions = react_to_events(conn, events_since(conn, since), auto, now)
    done = time.perf_counter()
    print(f"notice -> re-planned night: {(done - start) * 1000:7.1f} ms (ingest with sky map "
          f"{(ingested - start) * 1000:.1f} ms, re-plan {(done - ingested) * 1000:.1f} ms; "
          f"{summary.events} event: {[r.detail for r in reactions]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--eso", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    config = ObservingConfig.from_settings(load_settings({}))
    start = time.perf_counter()
    model = cached_night(NIGHT, config)
    cold_ms = (time.perf_counter() - start) * 1000
    print(f"night model (cold, astroplan twilights): {cold_ms:.0f} ms")
    with scratch_cluster("sxnight-") as (_, cluster), \
            psycopg.connect(cluster.conninfo()) as conn:
        fill(conn, args.candidates, args.eso)
        measure(conn, model, config, args.repeat)


if __name__ == "__main__":
    main()
