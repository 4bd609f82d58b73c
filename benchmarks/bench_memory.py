"""Memory of ``soxsvo serve``: PSS and RSS of each process, idle and after load.

Data: the 2,000,000-row catalogue of ``bench_stream.py setup`` (``marshall.transient``):

    python benchmarks/bench_stream.py setup --data-dir /tmp/bench --rows 2000000

Then either let this script start ``soxsvo serve`` on that data dir (and stop it at the end):

    python benchmarks/bench_memory.py --data-dir /tmp/bench --port 8391 --workers 4 \\
        --job-workers 2 --downloads 3 --load-seconds 180

or attach to one already running (``--pid`` of ``soxsvo serve``; ``--data-dir`` is still needed
to find the database, which tells which processes are UWS job workers):

    python benchmarks/bench_memory.py --data-dir /tmp/bench --port 8391 --pid <pid>

Steps: wait until the server is up and its processes have stopped using CPU (start-up
warm-ups done), print each process's RSS, PSS and USS (psutil ``memory_full_info``; PSS
shares every page among the processes mapping it, so PSS sums to what the tree really
uses) and the distinct physical pages the processes map together (``/proc/<pid>/pagemap``,
as root), which, unlike PSS, other programs mapping the same libraries do not lower; stream
``--downloads`` times ``--rows`` rows as BINARY2 (``bench_stream.fetch``) and
print the memory again; run ``--clients`` clients of random 1' cones for ``--load-seconds``
(``bench_tap.throughput``) and print it a third time, with the growth over idle; with
``--async-jobs``, run that many async BINARY2 jobs of ``--async-rows`` rows at once (one per
job worker: a job worker that has not loaded numba yet does so for its first one) and print
it a fourth time.

"Total" is the gunicorn master, its web workers and the job workers; the ``serve`` parent
(which only waits for gunicorn) is listed and summed separately. The PostgreSQL processes
are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import psutil
import requests
from bench_stream import fetch
from bench_tap import throughput

MIB = 2 ** 20
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sample:
    pid: int
    role: str
    rss: int
    pss: int
    uss: int


@dataclass
class Snapshot:
    samples: list[Sample]
    #: Distinct pages of the master, web and job workers (see :func:`footprint`).
    tree: int | None


def _is_gunicorn(proc: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return any("gunicorn" in part for part in proc.cmdline())
    return False


def job_worker_pids(data_dir: str) -> set[int]:
    """OS pids of the UWS job workers registered in the database of ``data_dir``."""
    from soxsvo.config import load_settings
    from soxsvo.db import Database

    env = dict(os.environ, SOXSVO_DATA_DIR=data_dir)
    with Database(load_settings(env)).connect() as conn:
        return {pid for (pid,) in conn.execute("SELECT os_pid FROM uws.worker")}


def roles(root: psutil.Process, jobs: set[int]) -> dict[int, tuple[psutil.Process, str]]:
    """Every process of the tree of ``root`` with its role."""
    found = {}
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if proc.pid in jobs:
                role = "job worker"
            elif _is_gunicorn(proc):
                parent = proc.parent()
                role = "web worker" if parent and _is_gunicorn(parent) else "gunicorn master"
            elif proc.pid == root.pid:
                role = "serve"
            elif "postgres" in proc.name():
                role = "postgres"
            else:
                role = "other"
            found[proc.pid] = (proc, role)
    return found


def sample(root: psutil.Process, jobs: set[int]) -> Snapshot:
    samples = []
    for pid, (proc, role) in roles(root, jobs).items():
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            samples.append(Sample(pid, role, info.rss, info.pss, info.uss))
    order = ["serve", "gunicorn master", "web worker", "job worker", "other", "postgres"]
    samples.sort(key=lambda s: (order.index(s.role), s.pid))
    return Snapshot(samples, footprint([s.pid for s in samples
                                        if s.role not in ("serve", "postgres")]))


def totals(samples: list[Sample]) -> dict[str, tuple[int, int]]:
    """(PSS, RSS) summed: 'total' (master, web and job workers, others), 'serve'."""
    sums = {"total": [0, 0], "serve": [0, 0]}
    for s in samples:
        if s.role == "postgres":
            continue
        key = "serve" if s.role == "serve" else "total"
        sums[key][0] += s.pss
        sums[key][1] += s.rss
    return {key: (pss, rss) for key, (pss, rss) in sums.items()}


def report(title: str, snapshot: Snapshot, idle: Snapshot | None = None) -> None:
    print(f"\n{title} (MiB; load average {os.getloadavg()[0]:.1f})")
    print(f"{'role':<16} {'pid':>8} {'RSS':>8} {'PSS':>8} {'USS':>8}")
    for s in snapshot.samples:
        print(f"{s.role:<16} {s.pid:>8} {s.rss / MIB:8.1f} {s.pss / MIB:8.1f} {s.uss / MIB:8.1f}")
    now = totals(snapshot.samples)
    pss, rss = now["total"]
    line = f"TOTAL (master + web + job workers): PSS {pss / MIB:.1f}, RSS {rss / MIB:.1f}"
    if idle is not None:
        before = totals(idle.samples)["total"]
        line += f"; growth over idle: PSS {(pss - before[0]) / MIB:+.1f}, " \
                f"RSS {(rss - before[1]) / MIB:+.1f}"
    print(line)
    spss, srss = now["serve"]
    print(f"serve parent: PSS {spss / MIB:.1f}, RSS {srss / MIB:.1f}; "
          f"with it PSS {(pss + spss) / MIB:.1f}, RSS {(rss + srss) / MIB:.1f}")
    if snapshot.tree is not None:
        line = f"distinct pages of master + web + job workers: {snapshot.tree / MIB:.1f}"
        if idle is not None and idle.tree is not None:
            line += f"; growth over idle {(snapshot.tree - idle.tree) / MIB:+.1f}"
        print(line)


def footprint(pids: list[int]) -> int | None:
    """Bytes of the distinct physical pages the processes ``pids`` map (``/proc/<pid>/pagemap``),
    each page counted once however many of them map it; None without the right to read page
    frame numbers (root).

    Unlike summed PSS this does not depend on other programs: PSS divides a library's pages
    among every process of the machine that maps them, so another Python process running from
    the same environment lowers soxsvo's PSS.
    """
    frames = []
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/maps") as maps, \
                open(f"/proc/{pid}/pagemap", "rb") as pagemap:
            for line in maps:
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                if line.rstrip().endswith("[vsyscall]"):
                    continue
                pagemap.seek(start // PAGE * 8)
                entries = np.frombuffer(pagemap.read((end - start) // PAGE * 8), np.uint64)
                present = entries[(entries >> np.uint64(63)) == 1]
                frames.append(present & np.uint64((1 << 55) - 1))
    if not frames:
        return None
    pfns = np.concatenate(frames)
    if len(pfns) and not pfns.any():
        return None  # frame numbers read as 0: not root
    return len(np.unique(pfns)) * PAGE


def cpu_seconds(root: psutil.Process) -> float:
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def wait_quiet(root: psutil.Process, limit: float = 180.0) -> None:
    """Wait until the tree uses less than 2 % of a core over two seconds (or ``limit``)."""
    deadline = time.monotonic() + limit
    before = cpu_seconds(root)
    while time.monotonic() < deadline:
        time.sleep(2.0)
        now = cpu_seconds(root)
        if now - before < 0.04:
            return
        before = now
    print(f"warning: the server was still busy after {limit:.0f} s", file=sys.stderr)


def wait_up(base: str, proc: subprocess.Popen | None, data_dir: str, job_workers: int,
            workers: int, root: psutil.Process, limit: float = 180.0) -> set[int]:
    """Wait for /health, the job workers' registration and every web worker."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"soxsvo serve exited with {proc.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/health", timeout=5).status_code == 200:
                jobs = job_worker_pids(data_dir)
                web = [p for p, (_, role) in roles(root, jobs).items() if role == "web worker"]
                if len(jobs) >= job_workers and len(web) >= workers:
                    return jobs
        time.sleep(0.5)
    raise SystemExit(f"{base} not up within {limit:.0f} s")


def run_async_jobs(base: str, table: str, jobs: int, rows: int) -> float:
    """Submit ``jobs`` async BINARY2 queries of ``rows`` rows at once (each job worker takes
    one), wait for them and read their results; seconds until the last result was read."""
    from bench_stream import COLUMNS

    started = time.perf_counter()
    urls = []
    for _ in range(jobs):
        answer = requests.post(f"{base}/tap/async", timeout=30, data={
            "LANG": "ADQL", "PHASE": "RUN", "MAXREC": str(rows), "RESPONSEFORMAT": "votable",
            "QUERY": f"SELECT TOP {rows} {COLUMNS} FROM {table}"})
        answer.raise_for_status()
        urls.append(answer.url)
    deadline = time.monotonic() + 600
    for url in urls:
        while (phase := requests.get(f"{url}/phase", timeout=30).text.strip()) not in (
                "COMPLETED", "ERROR", "ABORTED"):
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} still {phase} after 600 s")
            time.sleep(0.2)
        if phase != "COMPLETED":
            raise SystemExit(f"{url} ended {phase}")
        with requests.get(f"{url}/results/result", stream=True, timeout=60) as result:
            for _ in result.iter_content(1 << 20):
                pass
        requests.delete(url, timeout=30)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="data dir of the served archive")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, help="attach to this `soxsvo serve` (else start one)")
    parser.add_argument("--workers", type=int, default=4, help="web workers (when starting)")
    parser.add_argument("--job-workers", type=int, default=2, help="(when starting)")
    parser.add_argument("--table", default="marshall.transient")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--downloads", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--async-jobs", type=int, default=0,
                        help="then run this many async jobs at once (one per job worker)")
    parser.add_argument("--async-rows", type=int, default=100_000)
    args = parser.parse_args()
    data_dir = os.path.abspath(args.data_dir)
    base = f"http://127.0.0.1:{args.port}"
    server = None
    if args.pid is None:
        env = dict(os.environ, SOXSVO_DATA_DIR=data_dir, SOXSVO_PORT=str(args.port),
                   SOXSVO_TAP_JOB_WORKERS=str(args.job_workers))
        server = subprocess.Popen([sys.executable, "-m", "soxsvo.cli", "serve", "--workers",
                                   str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        root = psutil.Process(server.pid)
    else:
        root = psutil.Process(args.pid)
    started = time.monotonic()
    try:
        jobs = wait_up(base, server, data_dir, args.job_workers if server else 0,
                       args.workers if server else 1, root)
        print(f"up in {time.monotonic() - started:.1f} s (/health, workers registered)")
        wait_quiet(root)
        print(f"quiet {time.monotonic() - started:.1f} s after start; {os.cpu_count()} cores, "
              f"{psutil.virtual_memory().total / 2**30:.1f} GiB")
        idle = sample(root, jobs)
        report("idle", idle)
        for _ in range(args.downloads):
            seconds, size, tail = fetch(f"{base}/tap", args.table, args.rows)
            complete = tail.rstrip().endswith(b"</VOTABLE>") and b'value="ERROR"' not in tail
            print(f"{args.rows} rows BINARY2: {size / MIB:.1f} MiB in {seconds:.2f} s"
                  f"{'' if complete else ' INCOMPLETE!'} (load {os.getloadavg()[0]:.1f})")
        if args.downloads:
            report(f"after {args.downloads} download(s) of {args.rows} rows",
                   sample(root, jobs), idle)
        if args.load_seconds > 0:
            throughput(f"{base}/tap", args.table, args.clients, args.load_seconds)
            report(f"after {args.load_seconds:.0f} s of {args.clients}-client cone load",
                   sample(root, jobs), idle)
        if args.async_jobs:
            seconds = run_async_jobs(base, args.table, args.async_jobs, args.async_rows)
            print(f"{args.async_jobs} async jobs of {args.async_rows} rows: {seconds:.1f} s")
            report(f"after {args.async_jobs} async BINARY2 jobs", sample(root, jobs), idle)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
