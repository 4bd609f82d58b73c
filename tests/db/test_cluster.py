"""The private cluster: created once, shared by concurrent processes, stopped by the last one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from soxsvo.db import cluster as cluster_module
from soxsvo.db import migrations
from soxsvo.db.cluster import ClusterError, LocalCluster


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="sxc-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    probe = LocalCluster(path)
    if probe.is_running():
        probe.stop()


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from soxsvo.db.cluster import LocalCluster, exit_on_signals
    exit_on_signals()
    LocalCluster(Path(sys.argv[1])).acquire()
    print("ready", flush=True)
    time.sleep(120)
""")


def _hold_cluster(data_dir: Path) -> subprocess.Popen:
    """A second soxsvo-like process holding a lease on the cluster until signalled."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _select_one(cluster: LocalCluster) -> int:
    with psycopg.connect(cluster.conninfo()) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_acquire_initialises_starts_and_release_stops(data_dir: Path) -> None:
    cluster = LocalCluster(data_dir)
    cluster.acquire()
    assert (data_dir / "pg" / "PG_VERSION").exists()
    assert (data_dir / "run" / ".s.PGSQL.5432").exists(), "socket must be in the data dir"
    assert _select_one(cluster) == 1
    with psycopg.connect(cluster.conninfo()) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS q3c")
        assert conn.execute("SELECT q3c_dist(0, 0, 0, 1)").fetchone()[0] == pytest.approx(1)
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
    cluster.release()
    assert not cluster.is_running()


def test_second_process_reuses_the_running_cluster(data_dir: Path) -> None:
    first = LocalCluster(data_dir)
    first.acquire()
    postmaster = (data_dir / "pg" / "postmaster.pid").read_text().split()[0]
    holder = _hold_cluster(data_dir)
    try:
        assert (data_dir / "pg" / "postmaster.pid").read_text().split()[0] == postmaster
        assert sorted(first.live_leases()) == sorted([os.getpid(), holder.pid])
        first.release()
        assert first.is_running(), "the other process still uses it"
        assert _select_one(first) == 1
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=30)
    assert holder.returncode == 128 + signal.SIGTERM
    assert not first.is_running(), "the last user stopped it on SIGTERM"


def test_lease_of_a_killed_process_does_not_keep_the_cluster(data_dir: Path) -> None:
    holder = _hold_cluster(data_dir)
    holder.kill()
    holder.wait()
    cluster = LocalCluster(data_dir)
    assert cluster.is_running()
    cluster.acquire()
    assert cluster.live_leases() == [os.getpid()]
    cluster.release()
    assert not cluster.is_running()


def test_restart_keeps_the_data(data_dir: Path) -> None:
    cluster = LocalCluster(data_dir)
    cluster.acquire()
    with psycopg.connect(cluster.conninfo()) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    cluster.release()
    cluster.acquire()
    with psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (42,)
    cluster.release()


@pytest.mark.skipif(os.geteuid() != 0, reason="the unprivileged server user is used only as root")
def test_as_root_the_server_runs_as_an_unprivileged_user(data_dir: Path) -> None:
    cluster = LocalCluster(data_dir, run_as="soxsvo")
    cluster.acquire()
    try:
        pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        owner = Path(f"/proc/{pid}").stat().st_uid
        assert owner != 0
        import pwd

        assert pwd.getpwuid(owner).pw_name == "soxsvo"
    finally:
        cluster.release()


def test_missing_postgresql_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(cluster_module.glob, "glob", lambda pattern: [])
    with pytest.raises(ClusterError, match="apt-get install postgresql postgresql-15-q3c"):
        cluster_module.find_pg_bindir()


def test_too_long_data_dir_is_refused_before_anything_starts(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    with pytest.raises(ClusterError, match="too long a path for a Unix socket"):
        LocalCluster(deep)


def test_soxsvo_command_starts_and_stops_its_cluster(data_dir: Path) -> None:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir))
    env.pop("SOXSVO_DATABASE_URL", None)
    started = time.monotonic()
    soxsvo = [sys.executable, "-m", "soxsvo.cli"]
    status = subprocess.run([*soxsvo, "db", "status"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0, status.stderr
    assert f"private cluster in {data_dir}" in status.stdout
    latest = migrations.available_migrations()[-1].version
    count = len(migrations.available_migrations())
    assert f"schema version: 0, pending: {count}" in status.stdout
    init = subprocess.run([*soxsvo, "db", "init"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert f"{count} migrations applied now" in init.stdout, init.stderr
    status = subprocess.run([*soxsvo, "db", "status"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert f"schema version: {latest}, pending: 0" in status.stdout
    assert "transients: 0, observations: 0, spectra: 0" in status.stdout
    assert not LocalCluster(data_dir).is_running(), "stopped when the command ended"
    assert time.monotonic() - started < 60
