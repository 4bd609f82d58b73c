"""`soxsvo serve`: gunicorn workers answer, and SIGTERM stops server and private cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from soxsvo.db.cluster import LocalCluster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "soxsvo serve exited early"
        try:
            return requests.get(url, timeout=10)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def start_serve(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "soxsvo.cli", "serve", "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def test_serve_on_private_cluster_then_sigterm_stops_everything() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="sxs-", dir="/tmp"))
    data_dir.chmod(0o755)
    port = free_port()
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir), SOXSVO_PORT=str(port))
    env.pop("SOXSVO_DATABASE_URL", None)
    proc = start_serve(env)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/health", proc)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert "The SOXS archive" in page.text
        assert LocalCluster(data_dir).is_running()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr.read()
    assert not LocalCluster(data_dir).is_running(), "cluster stopped with the server"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "port released"
