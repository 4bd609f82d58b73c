"""`soxsvo serve`'s process layout (issue 14, memory): one gunicorn master loads the app and the
compiled loops, then forks the web workers and the UWS job workers, which share its pages;
threads and database pool come from one setting; no shared gunicorn control socket."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import psutil
import pytest
import requests
from gunicorn.config import Config

from soxsvo.config import load_settings
from soxsvo.db import Database
from soxsvo.web.app import create_app
from tests.web.test_serve import free_port, start_serve, wait_for

#: A worker that imports the application and numba itself has ~170 MiB of its own (USS); one
#: forked from the preloaded master a few MiB (about 20 after heavy use).
MAX_OWN_MIB = 80


def _gunicorn_conf(monkeypatch, data_dir: Path, **env: str) -> types.ModuleType:
    monkeypatch.setenv("SOXSVO_DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import soxsvo.web.gunicorn_conf as conf

    return importlib.reload(conf)


def test_gunicorn_settings_come_from_soxsvo_settings(tmp_path, monkeypatch) -> None:
    conf = _gunicorn_conf(monkeypatch, tmp_path, SOXSVO_THREADS="3", SOXSVO_WORKERS="5",
                          SOXSVO_PORT="8765")
    names = {name for name, value in vars(conf).items()
             if not name.startswith("_") and not isinstance(value, types.ModuleType)
             and name not in {"annotations", "load_settings"}}
    cfg = Config()
    # A misspelt setting would be ignored by gunicorn without a word.
    assert names <= set(cfg.settings), names - set(cfg.settings)
    for name in names:
        cfg.set(name, getattr(conf, name))
    assert (cfg.threads, cfg.workers, cfg.bind) == (3, 5, ["127.0.0.1:8765"])
    assert cfg.preload_app
    assert cfg.worker_class_str == "soxsvo.web.gunicorn_worker.DALIThreadWorker"
    if "control_socket_disable" in cfg.settings:
        assert cfg.control_socket_disable
    assert Path(cfg.control_socket).parent == tmp_path / "run"
    # The pool of each worker has as many connections as it has threads.
    app = create_app(load_settings())
    assert app.extensions["soxsvo_pool"]["size"] == 3


def test_preloading_the_app_opens_no_connection_and_no_thread(tmp_path) -> None:
    """What the gunicorn master runs before forking (the app, its warm-ups) must leave no
    connection or thread for the forks to inherit: here no database even answers."""
    check = ("import threading, soxsvo.web.wsgi as w; "
             "assert w.app.extensions['soxsvo_pool']['pool'] is None; "
             "assert threading.active_count() == 1, threading.enumerate()")
    env = dict(os.environ, SOXSVO_DATA_DIR=str(tmp_path),
               SOXSVO_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    done = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_threads_must_be_positive(tmp_path, monkeypatch) -> None:
    from soxsvo.config import ConfigError

    with pytest.raises(ConfigError, match="threads"):
        load_settings({"SOXSVO_DATA_DIR": str(tmp_path), "SOXSVO_THREADS": "0"})


def _own_mib(proc: psutil.Process) -> float:
    return proc.memory_full_info().uss / 2 ** 20


def _job_worker_pids(env: dict, count: int) -> set[int]:
    deadline = time.monotonic() + 60
    with Database(load_settings(env)).connect(autocommit=True) as conn:
        while True:
            pids = {pid for (pid,) in conn.execute("SELECT os_pid FROM uws.worker")}
            if len(pids) >= count or time.monotonic() > deadline:
                return pids
            time.sleep(0.2)


def _run_async(base: str) -> str:
    """Run a small query as an async job; the result document."""
    answer = requests.post(f"{base}/tap/async", data={
        "LANG": "ADQL", "PHASE": "RUN", "RESPONSEFORMAT": "votable/b2",
        "QUERY": "SELECT TOP 3 table_name FROM tap_schema.tables ORDER BY table_name"},
        timeout=30)
    answer.raise_for_status()
    job = answer.url
    deadline = time.monotonic() + 60
    while (phase := requests.get(f"{job}/phase", timeout=10).text.strip()) not in (
            "COMPLETED", "ERROR", "ABORTED"):
        assert time.monotonic() < deadline, f"job still {phase}"
        time.sleep(0.2)
    assert phase == "COMPLETED", requests.get(job, timeout=10).text
    return requests.get(f"{job}/results/result", timeout=10).text


def test_workers_are_forked_from_one_preloaded_master() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="sxm-", dir="/tmp"))
    data_dir.chmod(0o755)
    port = free_port()
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir), SOXSVO_PORT=str(port),
               SOXSVO_TAP_JOB_WORKERS="2")
    env.pop("SOXSVO_DATABASE_URL", None)
    proc = start_serve(env)
    pids = []
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/health", proc, timeout=120).status_code == 200
        (master,) = psutil.Process(proc.pid).children()
        jobs = _job_worker_pids(env, 2)
        assert len(jobs) == 2
        children = {child.pid: child for child in master.children()}
        # The web workers and the job workers' supervisor are the master's children, and the
        # job workers the supervisor's: all forked after the master loaded everything.
        (supervisor,) = [c for c in children.values() if c.name() == "soxsvo-uws-sup"]
        assert jobs == {c.pid for c in supervisor.children()}, (jobs, supervisor.children())
        web = [child for pid, child in children.items() if pid != supervisor.pid]
        assert len(web) == 2
        descendants = [*children.values(), *supervisor.children()]
        pids = [master.pid, *(c.pid for c in descendants)]
        for child in descendants:
            assert _own_mib(child) < MAX_OWN_MIB, (child.pid, _own_mib(child))
        # No control socket, neither gunicorn's shared default nor one in the data dir.
        sockets = [conn.laddr for conn in master.net_connections(kind="unix")]
        assert not any(str(path).endswith("gunicorn.ctl") for path in sockets), sockets
        # The job workers (which never imported anything themselves) run a BINARY2 result.
        result = _run_async(base)
        assert "BINARY2" in result and "</VOTABLE>" in result
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr.read()
    # The master stopped its job workers before it exited.
    assert pids and not [pid for pid in pids if psutil.pid_exists(pid)]
    shutil.rmtree(data_dir, ignore_errors=True)
