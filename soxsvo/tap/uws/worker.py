"""UWS job workers: processes that claim QUEUED jobs and run their queries into result files.

Jobs never run inside a web request. Each worker holds three connections: a control one
(LISTEN for new jobs; its backend's presence in ``pg_stat_activity`` proves the worker lives),
a heartbeat one (a thread), and the query one, whose backend pid is recorded on the running
job so that ABORT can cancel it.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence

import psycopg

from soxsvo.config import Settings
from soxsvo.db import Database
from soxsvo.tap.uws import jobs
from soxsvo.tap.uws.execute import RESTART_MESSAGE, execute_job
from soxsvo.utils.process import die_with_parent

log = logging.getLogger(__name__)

#: Seconds between two looks of the watchdog at the running job.
WATCH_INTERVAL = 1.0
#: Seconds between heartbeats, and the age after which a worker counts as dead even if its
#: connection lingers (e.g. a frozen host whose TCP connection has not timed out yet).
HEARTBEAT_INTERVAL = 5.0
HEARTBEAT_STALE = 60.0
#: Seconds between checks for new jobs when no NOTIFY arrives (a NOTIFY can be missed while
#: the control connection reconnects), and between sweeps for destroyed jobs and dead workers.
POLL_INTERVAL = 5.0
MAINTENANCE_INTERVAL = 30.0
QUERY_APPLICATION = "soxsvo-uws-query"


def _register(conn: psycopg.Connection, worker_id: str) -> None:
    conn.execute("INSERT INTO uws.worker (worker_id, host, os_pid, control_pid) "
                 "VALUES (%s, %s, %s, pg_backend_pid())",
                 (worker_id, socket.gethostname(), os.getpid()))


def reap_orphaned_jobs(conn: psycopg.Connection, data_path) -> list[str]:
    """End in ERROR every EXECUTING job whose worker is dead; forget dead workers; commit.

    A worker is dead when its control connection is gone from ``pg_stat_activity`` (the
    server drops it when the process dies) or its heartbeat is stale. The orphaned query, if
    its backend still runs (PostgreSQL notices a vanished client only when it writes to it),
    is terminated so that it stops using the server.
    """
    dead = """
        w.worker_id IS NULL
        OR w.heartbeat < now() - make_interval(secs => %(stale)s)
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.control_pid)"""
    try:
        rows = conn.execute(
            f"SELECT j.job_id, j.backend_pid FROM uws.job j "
            f"LEFT JOIN uws.worker w USING (worker_id) "
            f"WHERE j.phase = 'EXECUTING' AND ({dead}) FOR UPDATE OF j SKIP LOCKED",
            {"stale": HEARTBEAT_STALE}).fetchall()
        for job_id, pid in rows:
            if pid is not None:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE pid = %s AND application_name = %s",
                             (pid, QUERY_APPLICATION))
            conn.execute("UPDATE uws.job SET phase = 'ERROR', end_time = now(), "
                         "error_summary = %s, error_type = 'transient', backend_pid = NULL "
                         "WHERE job_id = %s", (RESTART_MESSAGE, job_id))
        conn.execute(f"DELETE FROM uws.worker w WHERE {dead.replace('w.worker_id IS NULL OR', '')}",
                     {"stale": HEARTBEAT_STALE})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    for job_id, _ in rows:
        for partial in jobs.job_dir(data_path, job_id).glob(".result*"):
            partial.unlink(missing_ok=True)
        log.warning("job %s: its worker died; marked ERROR", job_id)
    return [job_id for job_id, _ in rows]


def claim_next_job(conn: psycopg.Connection, worker_id: str) -> jobs.Job | None:
    """Move the oldest QUEUED job to EXECUTING for this worker (on the connection that will
    run its query, whose pid is recorded for ABORT); commit; None when the queue is empty."""
    try:
        row = conn.execute(
            "UPDATE uws.job SET phase = 'EXECUTING', start_time = now(), worker_id = %s, "
            "backend_pid = pg_backend_pid() WHERE job_id = ("
            "  SELECT job_id FROM uws.job WHERE phase = 'QUEUED' ORDER BY queued_time, job_id"
            "  FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING job_id", (worker_id,)).fetchone()
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return None if row is None else jobs.get_job(conn, row[0])


class _Watchdog(threading.Thread):
    """Heartbeat and guard of one worker, on its own connection.

    Every second it checks that the job being run is still EXECUTING and the worker is not
    stopping; otherwise it cancels the job's query. ABORT and DELETE cancel the backend
    themselves, but a cancel that reaches the backend between two statements is dropped by
    PostgreSQL; this second look makes the cancellation certain within a second.
    """

    def __init__(self, conninfo: str, worker_id: str, qconn: psycopg.Connection,
                 stop_event) -> None:
        super().__init__(name=f"uws-watchdog-{worker_id}", daemon=True)
        self.conninfo = conninfo
        self.worker_id = worker_id
        self.qconn = qconn
        self.stop_event = stop_event
        self.finished = threading.Event()
        self.lock = threading.Lock()
        self.job_id: str | None = None

    def watch(self, job_id: str | None) -> None:
        """Guard ``job_id`` (None: the worker is between queries, cancel nothing)."""
        with self.lock:
            self.job_id = job_id

    def run(self) -> None:
        try:
            with psycopg.connect(self.conninfo, autocommit=True,
                                 application_name="soxsvo-uws-heartbeat") as conn:
                last_beat = time.monotonic()
                while not self.finished.wait(WATCH_INTERVAL):
                    self._guard(conn)
                    if time.monotonic() - last_beat >= HEARTBEAT_INTERVAL:
                        conn.execute("UPDATE uws.worker SET heartbeat = now() "
                                     "WHERE worker_id = %s", (self.worker_id,))
                        last_beat = time.monotonic()
        except psycopg.Error as exc:
            # Without heartbeats the worker will be declared dead; say why in the log.
            log.error("worker %s: heartbeat stopped: %s", self.worker_id, exc)

    def _guard(self, conn: psycopg.Connection) -> None:
        with self.lock:
            if self.job_id is None:
                return
            if not self.stop_event.is_set():
                row = conn.execute("SELECT phase FROM uws.job WHERE job_id = %s",
                                   (self.job_id,)).fetchone()
                if row is not None and row[0] == "EXECUTING":
                    return
            # Under the lock: the worker cannot move on to another job meanwhile.
            with contextlib.suppress(psycopg.Error):
                self.qconn.cancel_safe(timeout=5)


def _wait_for_work(control: psycopg.Connection, stop_event: threading.Event,
                   seconds: float) -> None:
    """Return on a NOTIFY, on stop, or after ``seconds`` (checking stop every second)."""
    deadline = time.monotonic() + seconds
    while not stop_event.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for _ in control.notifies(timeout=min(1.0, remaining), stop_after=1):
            return


def run_worker(settings: Settings, stop_event: threading.Event | None = None, *,
               worker_id: str | None = None, poll_interval: float = POLL_INTERVAL) -> None:
    """Run async jobs until ``stop_event`` is set (forever without one).

    Parameters
    ----------
    settings : Settings
        Where the database and the data directory are; query limits.
    stop_event : threading.Event or multiprocessing.Event, optional
        Checked between jobs and while waiting for one.
    worker_id : str, optional
        Name of this worker in ``uws.worker`` (host, pid and a random suffix by default).
    poll_interval : float
        Seconds between looks at the queue when no NOTIFY arrives.
    """
    stop_event = stop_event or threading.Event()
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{jobs.new_job_id()[:6]}"
    conninfo = Database(settings).conninfo
    with (psycopg.connect(conninfo, autocommit=True,
                          application_name="soxsvo-uws-control") as control,
          psycopg.connect(conninfo, application_name=QUERY_APPLICATION) as qconn):
        _register(control, worker_id)
        control.execute(f"LISTEN {jobs.QUEUE_CHANNEL}")
        watchdog = _Watchdog(conninfo, worker_id, qconn, stop_event)
        watchdog.start()
        log.info("UWS worker %s started", worker_id)
        try:
            _loop(qconn, control, settings, worker_id, stop_event, poll_interval, watchdog)
        finally:
            watchdog.finished.set()
            # If the server is going away, the next worker's reaper forgets this one.
            with contextlib.suppress(psycopg.Error):
                control.execute("DELETE FROM uws.worker WHERE worker_id = %s", (worker_id,))
            log.info("UWS worker %s stopped", worker_id)


def _loop(qconn: psycopg.Connection, control: psycopg.Connection, settings: Settings,
          worker_id: str, stop_event, poll_interval: float, watchdog: _Watchdog) -> None:
    data_path = settings.data_path
    next_maintenance = 0.0  # at once: reap jobs of workers that died before this one started
    while not stop_event.is_set():
        if time.monotonic() >= next_maintenance:
            reap_orphaned_jobs(qconn, data_path)
            swept = jobs.sweep_destroyed(qconn, data_path)
            if swept:
                log.info("destroyed %d jobs past their destruction time", len(swept))
            next_maintenance = time.monotonic() + MAINTENANCE_INTERVAL
        job = claim_next_job(qconn, worker_id)
        if job is None:
            _wait_for_work(control, stop_event, poll_interval)
            continue
        execute_job(qconn, job, settings, worker_id, stopping=stop_event.is_set,
                    watch=watchdog.watch)


def _process_main(values: dict) -> None:
    """Entry point of a worker process: SIGTERM/SIGINT stop it within a second or so."""
    settings = Settings(values)
    stop_event = threading.Event()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [uws worker %(process)d] %(message)s")

    def stop(signum, frame) -> None:
        # The watchdog then cancels a running query: its job ends in ERROR with the restart
        # message, as after a crash, instead of holding up the shutdown.
        stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        run_worker(settings, stop_event)
    except psycopg.OperationalError as exc:
        # The database is away (stopped, restarting): one line, not a traceback per attempt;
        # the supervisor starts another worker after RESTART_DELAY.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("UWS worker ends: the database is unreachable (%s)", first)
        sys.exit(3)


def start_workers(settings: Settings, n: int) -> list[multiprocessing.Process]:
    """Start ``n`` worker processes (spawned, so no connection or thread is inherited).

    Each imports what a job needs itself; :func:`fork_workers` shares it with the caller.
    """
    context = multiprocessing.get_context("spawn")
    processes = []
    for index in range(n):
        # The values, not the Settings: its attribute lookup does not survive pickling.
        process = context.Process(target=_process_main,
                                  args=(dict(settings.values),),
                                  name=f"soxsvo-uws-worker-{index}", daemon=False)
        process.start()
        processes.append(process)
    return processes


def stop_workers(processes: list[multiprocessing.Process], timeout: float = 15.0) -> None:
    """Ask every worker to stop (SIGTERM), wait up to ``timeout`` s in all, then kill."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(5)


#: Seconds a supervisor waits before replacing a worker that died, so that a worker that
#: dies at once (no database) does not make it fork in a tight loop.
RESTART_DELAY = 1.0
#: Signals gunicorn's master handles; a process forked from it takes the defaults back (its
#: handlers would only queue the signal for a master loop the child does not run).
_MASTER_SIGNALS = (signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD,
                   signal.SIGWINCH, signal.SIGTTIN, signal.SIGTTOU, signal.SIGINT, signal.SIGTERM)


def _fork(name: str, run, close: Sequence[int] = ()) -> int:
    """Fork a child that runs ``run()`` under ``name`` and exits; its pid (in the parent).

    The child closes the file descriptors ``close`` (a master's listening sockets) and ends
    when this process ends (:func:`~soxsvo.utils.process.die_with_parent`).
    """
    for stream in (sys.stdout, sys.stderr):  # or the child writes what is buffered again
        stream.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        code = 0
        try:
            _name_process(name)
            for signum in _MASTER_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            for fd in close:
                with contextlib.suppress(OSError):
                    os.close(fd)
            die_with_parent(parent)
            run()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("%s (pid %d) failed", name, os.getpid())
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)
    return pid


def _supervisor_main(values: dict, n: int) -> None:
    """Keep ``n`` job workers alive until SIGTERM/SIGINT, then stop them and return.

    A worker that dies (``kill -9``, a crash) is replaced after :data:`RESTART_DELAY`; the
    replacement's first act is :func:`reap_orphaned_jobs`, so the dead one's job ends in
    ERROR with :data:`RESTART_MESSAGE` and its query is terminated. Workers are forked from
    this process, so they share what it (or the gunicorn master it was forked from) loaded.
    """
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [uws supervisor %(process)d] %(message)s")
    stopping = threading.Event()
    children: dict[int, int] = {}

    def stop(signum, frame) -> None:
        stopping.set()
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def start(index: int) -> None:
        children[_fork(f"soxsvo-uws-{index}", lambda: _process_main(values))] = index

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(n):
        start(index)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is not None and not stopping.is_set():
            log.warning("UWS worker %d ended (%s); starting another", pid,
                        f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                        else f"exit {os.waitstatus_to_exitcode(status)}")
            time.sleep(RESTART_DELAY)
            if not stopping.is_set():
                start(index)


def run_supervisor(settings: Settings, n: int) -> None:
    """Be the supervisor of ``n`` job workers in this process until SIGTERM/SIGINT.

    ``soxsvo serve --role jobs``: a job node. On SIGTERM the workers stop; a job still running
    ends in ERROR with :data:`RESTART_MESSAGE` (its query is cancelled), as on any shutdown.

    Parameters
    ----------
    settings : Settings
        Where the database and the data directory are.
    n : int
        Job worker processes to keep alive.
    """
    _supervisor_main(dict(settings.values), n)


def start_supervised(settings: Settings, n: int) -> multiprocessing.Process:
    """Start (spawn) a supervisor process that runs ``n`` workers and replaces any that dies.

    For callers that have not loaded the TAP code themselves (tests, scripts); ``soxsvo
    serve`` forks its supervisor from the gunicorn master instead (:func:`fork_supervisor`).
    Stop it (and its workers) with ``stop_workers([process])``.
    """
    process = multiprocessing.get_context("spawn").Process(
        target=_supervisor_main, args=(dict(settings.values), n),
        name="soxsvo-uws-supervisor", daemon=False)
    process.start()
    return process


def fork_supervisor(settings: Settings, n: int, close: Sequence[int] = ()) -> int:
    """Fork the job-worker supervisor from this process; its pid.

    For a parent that has already imported (and compiled) what a job needs, with no thread
    and no open connection: ``soxsvo serve``'s gunicorn master, before it listens
    (``soxsvo.web.gunicorn_conf``). The supervisor and the workers it forks share the
    master's memory pages instead of importing the TAP code and numba again: spawned, each
    worker had 63 MiB of its own idle and 118 MiB after its first BINARY2 job, which waited
    ~5 s for numba; forked, 6 and 10 MiB (docs/performance.md, "Memory"). A worker that dies
    is replaced (:func:`_supervisor_main`); the supervisor and its workers end with this
    process. ``close``: file descriptors the supervisor must not keep (listening sockets of a
    master that forks it again after it died). Stop it with :func:`stop_forked_workers`.
    """
    values = dict(settings.values)
    return _fork("soxsvo-uws-sup", lambda: _supervisor_main(values, n), close)


def _name_process(name: str) -> None:
    """Show ``name`` for this process in ``top`` and ``ps -o comm`` (Linux; its command line
    stays the parent's)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def _still_child(pid: int) -> bool:
    """True while ``pid`` is a live child of this process (reaps it once it has ended).

    False too when another part of the parent reaped it already (gunicorn's master reaps
    every child it sees end): then the pid may belong to anybody and must not be signalled.
    """
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


def stop_forked_workers(pids: list[int], timeout: float = 15.0) -> None:
    """Ask forked processes (the supervisor of :func:`fork_supervisor`) to stop (SIGTERM),
    wait up to ``timeout`` s in all, then kill the rest."""
    alive = [pid for pid in pids if _still_child(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if _still_child(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
