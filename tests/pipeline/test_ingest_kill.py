"""``kill -9`` of ``soxsvo ingest`` mid-batch loses and half-registers nothing (hardening).

The process is killed while it registers; what is in the archive then is consistent (every
ObsCore row has its product and stored file, no temporary file in the store), the inputs are
untouched, and running the same command again registers the rest, each product once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import psycopg
from test_ingest_support import assert_consistent, sums, write_tiny

from soxsvo.archive.register import ArchiveConfig
from soxsvo.archive.store import INFLIGHT

#: Four registration batches (soxsvo.archive.ingest.DEFAULT_BATCH = 64): killed after the first.
N_FILES = 200


def _registered(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT count(*) FROM soxs.product").fetchone()[0]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_killed_ingest_leaves_a_consistent_archive(tmp_path, settings, db_conninfo) -> None:
    files = [write_tiny(tmp_path / "in", i) for i in range(N_FILES)]
    before = sums(files)
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=db_conninfo)
    command = [sys.executable, "-m", "soxsvo.cli", "ingest", "--workers", "2",
               str(tmp_path / "in")]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _registered(db_conninfo) == 0 and proc.poll() is None:
        assert time.monotonic() < deadline, "nothing registered within 120 s"
        time.sleep(0.05)
    children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Its validation workers end with it (they used to wait, orphaned, for ever).
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in children):
        assert time.monotonic() < deadline, "the killed ingest's workers are still running"
        time.sleep(0.1)
    store = ArchiveConfig.from_settings(settings).store
    # What the killed run was copying is named in its journal (store/.inflight), which the
    # next run sweeps; every other file in the store belongs to a registered product.
    journals = list((store / INFLIGHT).glob("*.txt"))
    named = {line for j in journals for line in j.read_text().splitlines() if line}
    with psycopg.connect(db_conninfo) as conn:
        products = {r[0] for r in conn.execute("SELECT file_path FROM soxs.product")}
        orphans = conn.execute(
            "SELECT count(*) FROM soxs.product p FULL JOIN ivoa.obscore o "
            "ON o.obs_publisher_did = p.publisher_did "
            "WHERE p.publisher_did IS NULL OR o.obs_publisher_did IS NULL").fetchone()[0]
    assert orphans == 0, "a product without its ObsCore row, or the reverse"
    assert {p for p in products if not os.path.exists(p)} == set(), "a product without file"
    stored = {str(f) for f in store.rglob("*") if f.is_file() and INFLIGHT not in f.parts}
    assert stored - products <= named, "a file in the store that no journal names"
    partial = len(products)
    assert 0 < partial < N_FILES, f"killed after {partial} of {N_FILES}: not mid-batch"
    assert sums(files) == before
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                           check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert assert_consistent(db_conninfo, store) == N_FILES
    assert f"{N_FILES - partial} registered, {partial} already registered" in again.stdout
