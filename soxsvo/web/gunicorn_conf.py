"""gunicorn's settings for ``soxsvo serve`` (``gunicorn -c python:soxsvo.web.gunicorn_conf``).

Read from soxsvo's own settings (``SOXSVO_*``, ``SOXSVO_CONFIG``), which ``soxsvo serve`` hands
on in the environment; ``--workers`` on gunicorn's command line overrides ``workers``.

Memory (docs/performance.md, "Memory"): the master loads the application, numba and the
compiled BINARY2 loops once (``preload_app``: :mod:`soxsvo.web.wsgi` runs the warm-ups at
import), then forks the UWS job workers (before it listens) and the web workers. They share
those pages copy-on-write instead of each loading its own copy: a web worker was ~185 MiB
PSS and ~310 MiB RSS on its own. No database connection is open before the forks: each
process opens its pool on first use (:mod:`soxsvo.web.context`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import time

from soxsvo.config import load_settings

_settings = load_settings()
#: ``soxsvo serve --role web`` runs no job workers: they run on job nodes.
_with_jobs = _settings.serve.role != "web"

wsgi_app = "soxsvo.web.wsgi:app"
bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
# Threaded workers: a blocking UWS WAIT or a long sync query holds a thread, not a process.
# Each worker's database pool has as many connections as it has threads.
# gthread, answering a too long request line with a DALI document (not gunicorn's HTML).
worker_class = "soxsvo.web.gunicorn_worker.DALIThreadWorker"
threads = _settings.threads
# The worker timeout must outlast the longest sync query and a UWS WAIT (60 s).
timeout = max(_settings.query.sync_timeout, 60) + 30
graceful_timeout = _settings.serve.graceful_timeout
accesslog = "-"
preload_app = True
# gunicorn >= 25.1 opens a control socket (for gunicornc, which soxsvo does not use) in
# ~/.gunicorn/gunicorn.ctl, shared by every instance of the machine's user, served by a thread
# of the master. Off; for a gunicorn that would open it anyway, it is this instance's own.
control_socket_disable = True
control_socket = str(_settings.data_path / "run" / "gunicorn.ctl")

_job_workers: list[int] = []


def _freeze() -> None:
    """Move every object the master holds to the garbage collector's permanent generation.

    A full collection in a child otherwise writes to the header of every object it inherited,
    un-sharing their pages: 74 MiB per process measured (docs/performance.md, "Memory").
    """
    gc.freeze()


def on_starting(server) -> None:
    """Before the master listens or handles signals (the app is loaded already): fork the UWS
    job workers, which thus hold no listening socket."""
    from soxsvo.tap.uws.worker import fork_supervisor

    gc.collect()
    _freeze()
    if _with_jobs:
        _job_workers[:] = [fork_supervisor(_settings, _settings.tap.job_workers)]


def when_ready(server) -> None:
    """Once the master listens: have it replace a job-worker supervisor that dies."""
    server.reap_workers = functools.partial(_reap_supervisor_first, server, server.reap_workers)


def _reap_supervisor_first(server, reap_workers) -> None:
    """Claim the job-worker supervisor's end, fork another, then reap the web workers.

    Why in gunicorn's reaping: its master reaps every child that ends (``waitpid(-1)``) and
    drops silently the ones that are not web workers, so a supervisor killed with ``kill -9``
    (its workers end with it) is seen only by claiming its pid first, on the same SIGCHLD,
    in the master's main loop, where gunicorn itself forks. ``Arbiter.stop`` empties
    ``LISTENERS`` before it stops anything: a supervisor that ends then is not replaced.
    """
    from soxsvo.tap.uws.worker import RESTART_DELAY, fork_supervisor

    for pid in list(_job_workers):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] != pid:
                continue
        _job_workers.remove(pid)
        if server.LISTENERS:
            server.log.error("UWS job-worker supervisor (pid:%s) ended; starting another", pid)
            time.sleep(RESTART_DELAY)  # a supervisor that cannot start must not make us spin
            _job_workers.append(fork_supervisor(
                _settings, _settings.tap.job_workers,
                close=[listener.fileno() for listener in server.LISTENERS]))
    reap_workers()


def pre_fork(server, worker) -> None:
    _freeze()


def on_exit(server) -> None:
    """After the web workers stopped: stop the job workers (a job still running ends in
    ERROR with the restart message, as after a crash)."""
    from soxsvo.tap.uws.worker import stop_forked_workers

    stop_forked_workers(_job_workers)
