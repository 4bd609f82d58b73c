"""A watcher node (issue 21, "Roles and nodes"): ``soxsvo serve --role watch --watch DIR``
runs ``soxsvo watch DIR`` and starts it again when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
from test_ingest_support import write_tiny

from soxsvo.config import Settings


def _registered(db_conninfo: str) -> int:
    with psycopg.connect(db_conninfo) as conn:
        return conn.execute("SELECT count(*) FROM ivoa.obscore").fetchone()[0]


def _until(check, attempts: int = 600):
    for _ in range(attempts):
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError("the condition never held")


def _watch_child(node: subprocess.Popen) -> psutil.Process | None:
    for child in psutil.Process(node.pid).children():
        try:
            if "watch" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                return child
        except psutil.NoSuchProcess:  # the killed one, until its parent reaps it
            continue
    return None


def _drop(source: Path, incoming: Path) -> None:
    """Move a finished product into the watched folder (as a transfer that renames)."""
    os.replace(source, incoming / source.name)


def test_watch_node_registers_and_comes_back_after_kill(tmp_path, settings: Settings,
                                                       db_conninfo) -> None:
    incoming = tmp_path / "in"
    incoming.mkdir()
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=settings.database_url)
    log = tmp_path / "serve.log"
    node = subprocess.Popen([sys.executable, "-m", "soxsvo.cli", "serve", "--role", "watch",
                             "--watch", str(incoming)], env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"), start_new_session=True)
    try:
        first = _until(lambda: _watch_child(node))
        _drop(write_tiny(tmp_path / "src", 1), incoming)
        _until(lambda: (incoming / "done" / "spec_0001.fits").exists())
        assert _registered(db_conninfo) == 1

        first.kill()
        second = _until(lambda: (child := _watch_child(node)) and child.pid != first.pid
                        and child)
        assert second.is_running()
        # Nothing of the killed watcher (its process group) is left running.
        assert _until(lambda: not _in_group(first.pid))
        _drop(write_tiny(tmp_path / "src", 2), incoming)
        _until(lambda: (incoming / "done" / "spec_0002.fits").exists())
        assert _registered(db_conninfo) == 2
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=60)
    text = log.read_text()
    assert node.returncode == 128 + signal.SIGTERM, text
    assert "soxsvo watch ended by signal 9; starting it again" in text
    assert not _in_group(second.pid)


def _in_group(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    alive = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return alive
