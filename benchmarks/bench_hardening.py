"""Hardening figures (docs/security.md): fuzzing, faults and a long mixed load on the demo.

Each step runs ``soxsvo serve`` on its own data dir (private PostgreSQL) and stops it after:

    python benchmarks/bench_hardening.py setup --data-dir /tmp/hard   # demo archive + a member
    python benchmarks/bench_hardening.py fuzz --data-dir /tmp/hard --adql 10000 --alerts 1600
    python benchmarks/bench_hardening.py faults --data-dir /tmp/hard
    python benchmarks/bench_hardening.py load --data-dir /tmp/hard --clients 32 --seconds 600

``fuzz`` sends the hostile requests of ``tests/fuzzing.py`` (mutated and generated ADQL, every
payload in every parameter and path part, broken alerts and GCN notices as a consortium
member) and writes broken FITS products through ``soxsvo validate`` and ``soxsvo ingest``;
it counts 5xx answers and errors not in the protocol's form. ``faults`` runs a background
load while it kills (``kill -9``) a web worker, a job worker, the job-worker supervisor and
the gunicorn master, stops and starts PostgreSQL, and ingests onto a "full" disk; it reports
recovery times and checks that no job is lost or stuck and nothing is half-registered.
``load`` runs ``--clients`` threads of a mixed workload and reports errors and the memory
(PSS) of the server's processes after a warm-up and at the end.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import requests
import requests.adapters

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import fuzzing  # noqa: E402 - the repository's own fuzzers

SOXSVO = [sys.executable, "-m", "soxsvo.cli"]
MIB = 2 ** 20
SMALL = "SELECT TOP 1 schema_name FROM tap_schema.schemas"


def _env(data_dir: Path, port: int = 0, **extra: str) -> dict[str, str]:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir), **extra)
    env.pop("SOXSVO_DATABASE_URL", None)
    if port:
        env["SOXSVO_PORT"] = str(port)
    return env


def _cli(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SOXSVO, *args], env=_env(data_dir, **extra), capture_output=True,
                          text=True, check=False)


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(data_dir: Path, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen]]:
    """``soxsvo serve`` on ``data_dir`` until the block ends: (base URL, process)."""
    port = _free_port()
    proc = subprocess.Popen([*SOXSVO, "serve", "--workers", str(workers)],
                            env=_env(data_dir, port), stdout=subprocess.DEVNULL,
                            stderr=open(data_dir / "serve.log", "ab"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _ok(url) and _health(url)["jobs"]["live_workers"] > 0, 180), \
            "soxsvo serve did not come up"
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)


def wait_until(check: Callable[[], object], timeout: float) -> float | None:
    """Seconds until ``check()`` is true (polled every 0.1 s), None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - start
        time.sleep(0.1)
    return None


def _ok(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).ok
    except requests.RequestException:
        return False


def _health(url: str) -> dict:
    return requests.get(f"{url}/health", timeout=10).json()


def _token(data_dir: Path) -> str:
    return (data_dir / "member.token").read_text().strip()


# -- setup -----------------------------------------------------------------------------------
def setup(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    for args in (["demo"], ["user", "add", "fuzzer"],
                 ["user", "grant", "fuzzer", "--role", "consortium"]):
        done = _cli(data_dir, *args)
        if done.returncode not in (0, 2):
            raise SystemExit(done.stderr)
    token = _cli(data_dir, "user", "token", "fuzzer", "--name", "bench")
    (data_dir / "member.token").write_text(token.stdout.strip())
    print(f"demo archive and a consortium member's token in {data_dir}")


# -- fuzz ------------------------------------------------------------------------------------
class Tally:
    """Counts of answers by status class, with the 5xx and wrongly formed ones kept."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: collections.Counter = collections.Counter()
        self.bad: list[tuple] = []

    def add(self, label: str, path: str, response: requests.Response | Exception) -> None:
        with self.lock:
            if isinstance(response, Exception):
                self.status["exception"] += 1
                self.bad.append((label, path, repr(response)[:200]))
                return
            self.status[f"{response.status_code // 100}xx"] += 1
            ctype = response.headers.get("Content-Type", "")
            if response.status_code >= 500 or not fuzzing.response_form_ok(
                    path, response.status_code, ctype, response.content):
                self.bad.append((label, path, response.status_code, ctype,
                                 response.content[:200]))

    def report(self, title: str, seconds: float) -> None:
        total = sum(self.status.values())
        print(f"{title}: {total:,} requests in {seconds:.0f} s; "
              f"{dict(sorted(self.status.items()))}; 5xx or wrong form: {len(self.bad)}")
        for item in self.bad[:20]:
            print("   ", tuple(str(part)[:160] for part in item))


def _parallel(jobs: list[Callable[[], None]], threads: int = 8) -> float:
    start = time.monotonic()
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda job: job(), jobs))
    return time.monotonic() - start


def _request(session: requests.Session, url: str, attack: fuzzing.Attack,
             headers: dict) -> requests.Response:
    endpoint = attack.endpoint
    if endpoint.json_body:
        return session.request(endpoint.method, url + attack.path, json=attack.params,
                               headers=headers, timeout=120, allow_redirects=False)
    if endpoint.method == "GET":
        return session.get(url + attack.path, params=attack.params, headers=headers,
                           timeout=120, allow_redirects=False)
    return session.request(endpoint.method, url + attack.path, data=attack.params,
                           headers=headers, timeout=120, allow_redirects=False)


def fuzz(data_dir: Path, n_adql: int, n_alerts: int, n_fits: int, seed: int) -> None:
    member = {"Authorization": f"Bearer {_token(data_dir)}"}
    session = requests.Session()
    with serving(data_dir, workers=2) as (url, _):
        tally = Tally()

        def adql(query: str) -> Callable[[], None]:
            def run() -> None:
                try:
                    tally.add(query[:120], "/tap/sync", session.post(
                        f"{url}/tap/sync", data={"LANG": "ADQL", "QUERY": query,
                                                 "MAXREC": "100"}, timeout=120))
                except requests.RequestException as exc:
                    tally.add(query[:120], "/tap/sync", exc)
            return run

        seconds = _parallel([adql(q) for q in fuzzing.adql_queries(seed, n_adql)])
        tally.report(f"ADQL fuzz ({n_adql:,} queries, seed {seed})", seconds)

        tally = Tally()

        def inject(attack: fuzzing.Attack, headers: dict) -> Callable[[], None]:
            def run() -> None:
                label = f"{attack.endpoint.method} {attack.path[:60]} {attack.target}"
                try:
                    tally.add(label, attack.path, _request(session, url, attack, headers))
                except requests.RequestException as exc:
                    tally.add(label, attack.path, exc)
            return run

        attacks = list(fuzzing.injections())
        seconds = _parallel([inject(a, h) for a in attacks for h in ({}, member)])
        tally.report(f"injection ({len(attacks):,} payload x parameter, anonymous and member)",
                     seconds)

        tally = Tally()
        packet = (Path(__file__).resolve().parents[1] / "tests/data/alerts/ztf/alerts"
                  / "472263571115115000.avro").read_bytes()

        def alert(kind: str, body: bytes) -> Callable[[], None]:
            def run() -> None:
                try:
                    tally.add(kind, "/api/alerts", session.post(
                        f"{url}/api/alerts", data=body, timeout=120,
                        headers={**member, "Content-Type": kind}))
                except requests.RequestException as exc:
                    tally.add(kind, "/api/alerts", exc)
            return run

        seconds = _parallel([alert(k, b) for k, b in
                             fuzzing.malformed_alerts(seed, n_alerts, packet)])
        tally.report(f"malformed alerts ({n_alerts:,})", seconds)
    fuzz_fits(data_dir, n_fits, seed)


def fuzz_fits(data_dir: Path, n: int, seed: int) -> None:
    """Broken products through ``soxsvo validate`` (one by one) and ``soxsvo ingest`` (all)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzzfits-"))
    good = next(p for p in sorted((data_dir / "archive").rglob("*.fits")))
    for index, raw in enumerate(fuzzing.malformed_fits(seed, n, good)):
        (folder / f"bad_{index:05d}.fits").write_bytes(raw)
    import io

    from soxsvo.phase3.validate import main as validate

    codes: collections.Counter = collections.Counter()
    tracebacks = 0
    start = time.monotonic()
    for path in sorted(folder.iterdir()):  # the body of `soxsvo validate`, in this process
        try:
            codes[validate([str(path)], out=io.StringIO(), err=io.StringIO())] += 1
        except Exception:  # noqa: BLE001 - what the command would show as a traceback
            tracebacks += 1
    print(f"soxsvo validate on {n} broken products: exit codes {dict(codes)}, "
          f"tracebacks {tracebacks} ({time.monotonic() - start:.0f} s)")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = _cli(data_dir, "ingest", "--workers", "1", str(folder))
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    kept = sum(before[p.name] == p.read_bytes() for p in folder.iterdir())
    print(f"soxsvo ingest of the same {n}: exit {done.returncode}, '{last}', "
          f"files kept unchanged {kept}/{n}, tracebacks {'Traceback' in done.stderr}")


# -- load --------------------------------------------------------------------------------------
def _samples(url: str) -> dict[str, list[str]]:
    """Real ids to ask for: products, HiPS names."""
    csv = requests.get(f"{url}/tap/sync", params={
        "LANG": "ADQL", "RESPONSEFORMAT": "csv",
        "QUERY": "SELECT TOP 200 obs_publisher_did, s_ra, s_dec FROM ivoa.obscore "
                 "WHERE dataproduct_type = 'spectrum'"}, timeout=60).text.splitlines()[1:]
    rows = [line.split(",") for line in csv if line]
    return {"did": [r[0] for r in rows], "pos": [(r[1], r[2]) for r in rows]}


def _mixed(url: str, samples: dict, rng: random.Random) -> tuple[str, dict, str]:
    """One request of the mix: (method, kwargs for requests, label)."""
    ra, dec = rng.choice(samples["pos"])
    did = rng.choice(samples["did"])
    pick = rng.random()
    if pick < 0.35:
        return "GET", {"url": f"{url}/tap/sync", "params": {
            "LANG": "ADQL", "QUERY": f"SELECT * FROM ivoa.obscore WHERE CONTAINS(POINT('ICRS', "
            f"s_ra, s_dec), CIRCLE('ICRS', {ra}, {dec}, 0.02)) = 1"}}, "tap cone"
    if pick < 0.45:
        return "POST", {"url": f"{url}/tap/sync", "data": {
            "LANG": "ADQL", "RESPONSEFORMAT": "votable/b2",
            "QUERY": "SELECT TOP 500 * FROM marshall.transient"}}, "tap binary2"
    if pick < 0.60:
        return "GET", {"url": f"{url}/ssa", "params": {
            "REQUEST": "queryData", "POS": f"{ra},{dec}", "SIZE": "0.05"}}, "ssa"
    if pick < 0.72:
        return "GET", {"url": f"{url}/datalink/links", "params": {"ID": did}}, "datalink"
    if pick < 0.78:
        return "GET", {"url": f"{url}/moc/space"}, "moc"
    if pick < 0.86:
        return "GET", {"url": f"{url}/archive", "params": {"q": ""}}, "archive page"
    if pick < 0.92:
        return "GET", {"url": f"{url}/tap/tables"}, "tables"
    return "ASYNC", {"url": f"{url}/tap/async", "data": {
        "LANG": "ADQL", "QUERY": "SELECT TOP 100 * FROM ivoa.obscore", "PHASE": "RUN"}}, "async"


def _run_async(session: requests.Session, kwargs: dict) -> requests.Response:
    """Create a job, wait (UWS blocking WAIT) until it ends, fetch its result."""
    created = session.post(**kwargs, timeout=60, allow_redirects=False)
    if created.status_code != 303:
        return created
    job = created.headers["Location"]
    deadline = time.monotonic() + 300
    phase = "QUEUED"
    while phase in ("QUEUED", "EXECUTING", "PENDING") and time.monotonic() < deadline:
        session.get(f"{job}?WAIT=30&PHASE={phase}", timeout=90)
        phase = session.get(f"{job}/phase", timeout=30).text.strip()
    return session.get(f"{job}/results/result", timeout=60)


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 all reach the server on lo)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_session(index: int) -> requests.Session:
    """A session for simulated client ``index``, from its own address: the server's fair-use
    limits count per client (user, else address), as they would for 32 real users."""
    session = requests.Session()
    session.mount("http://", _FromAddress(f"127.0.{1 + index // 250}.{2 + index % 250}"))
    return session


def _pss(root: psutil.Process) -> int:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if "postgres" not in proc.name():
                total += proc.memory_full_info().pss
    return total


def run_load(url: str, clients: int, seconds: float, seed: int,
             stop: threading.Event | None = None) -> dict:
    """``clients`` threads of the mixed workload for ``seconds`` (or until ``stop``)."""
    samples = _samples(url)
    stop = stop or threading.Event()
    counts: collections.Counter = collections.Counter()
    errors: list[tuple] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(seed + index)
        session = client_session(index)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            method, kwargs, label = _mixed(url, samples, rng)
            try:
                if method == "ASYNC":
                    response = _run_async(session, kwargs)
                else:
                    response = session.request(method, **kwargs, timeout=120)
                ok = response.status_code == 200
                detail = (response.status_code, response.text[:200])
            except requests.RequestException as exc:
                ok, detail = False, repr(exc)[:200]
            with lock:
                counts[label, ok] += 1
                if not ok:
                    errors.append((label, detail))
            if not ok:
                time.sleep(0.5)  # a client backs off after a failure, as real ones do

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"counts": counts, "errors": errors}


def load(data_dir: Path, clients: int, seconds: float, warmup: float, seed: int) -> None:
    with serving(data_dir, workers=4) as (url, proc):
        root = psutil.Process(proc.pid)
        run_load(url, clients, warmup, seed)
        before = _pss(root)
        start = time.monotonic()
        result = run_load(url, clients, seconds, seed + 1000)
        elapsed = time.monotonic() - start
        after = _pss(root)
    total = sum(result["counts"].values())
    failed = len(result["errors"])
    print(f"load: {clients} clients for {elapsed:.0f} s after a {warmup:.0f} s warm-up: "
          f"{total:,} requests ({total / elapsed:.0f}/s), {failed} errors")
    by_label = collections.Counter()
    for (label, _), n in result["counts"].items():
        by_label[label] += n
    print("   mix:", dict(by_label))
    for item in result["errors"][:10]:
        print("   ", item)
    print(f"memory (PSS of serve, gunicorn master, web workers, job workers): "
          f"{before / MIB:.0f} MiB after warm-up, {after / MIB:.0f} MiB at the end, "
          f"growth {(after - before) / MIB:+.1f} MiB")


# -- faults ------------------------------------------------------------------------------------
def _kind(master: psutil.Process, proc: psutil.Process) -> str:
    name = proc.name()
    if name == "soxsvo-uws-sup":
        return "supervisor"
    if name.startswith("soxsvo-uws-"):
        return "job"
    return "web" if proc.ppid() == master.pid else "other"


def _role(master: psutil.Process, name: str) -> list[psutil.Process]:
    found = []
    for proc in master.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if _kind(master, proc) == name:
                found.append(proc)
    return found


def _master(serve: psutil.Process) -> psutil.Process:
    return next(p for p in serve.children() if "gunicorn" in " ".join(p.cmdline()))


_job_clients = iter(range(1000, 100000))


LONG = ("SELECT COUNT(*) AS n FROM tap_schema.columns AS a, tap_schema.columns AS b, "
        "tap_schema.columns AS c")


def _jobs(url: str, n: int, query: str = LONG) -> list[str]:
    """Submit ``n`` jobs (by default of a few seconds), each from another client (fair use
    counts per client); their URLs."""
    urls = []
    for _ in range(n):
        answer = client_session(next(_job_clients)).post(f"{url}/tap/async", data={
            "LANG": "ADQL", "PHASE": "RUN", "QUERY": query},
            timeout=60, allow_redirects=False)
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
        urls.append(answer.headers["Location"])
    return urls


def _recovered(url: str) -> bool:
    """A new small job runs to COMPLETED and a sync query answers."""
    job = _jobs(url, 1, SMALL)[0]
    requests.get(f"{job}?WAIT=20&PHASE=QUEUED", timeout=60)
    requests.get(f"{job}?WAIT=20&PHASE=EXECUTING", timeout=60)
    done = requests.get(f"{job}/phase", timeout=10).text.strip() == "COMPLETED"
    return done and requests.get(f"{url}/tap/sync", params={
        "LANG": "ADQL", "QUERY": SMALL}, timeout=30).ok


def _error_message(job: str) -> str:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(requests.get(job, timeout=10).content)
    message = root.find(".//{http://www.ivoa.net/xml/UWS/v1.0}errorSummary/"
                        "{http://www.ivoa.net/xml/UWS/v1.0}message")
    return message.text if message is not None else "?"


def _phases(jobs: list[str]) -> collections.Counter:
    counts = collections.Counter()
    for job in jobs:
        try:
            counts[requests.get(f"{job}/phase", timeout=10).text.strip()] += 1
        except requests.RequestException:
            counts["unreachable"] += 1
    return counts


def faults(data_dir: Path, clients: int, seed: int) -> None:
    from soxsvo.db.cluster import LocalCluster

    with serving(data_dir, workers=2) as (url, proc):
        serve = psutil.Process(proc.pid)
        stop = threading.Event()
        background: dict = {}
        loader = threading.Thread(target=lambda: background.update(
            run_load(url, clients, 3600, seed, stop)))
        loader.start()
        jobs: list[str] = []
        time.sleep(5)
        for role in ("web", "job", "supervisor", "master"):
            jobs += _jobs(url, 3)
            time.sleep(2)
            master = _master(serve)
            victim = _role(master, role)[0] if role != "master" else master
            os.kill(victim.pid, signal.SIGKILL)
            recovered = wait_until(lambda: _recovered(url), 180)
            print(f"kill -9 of the {role} (pid {victim.pid}): a new job completed and a sync "
                  f"query answered after {recovered and round(recovered, 1)} s")
        cluster = LocalCluster(data_dir)
        jobs += _jobs(url, 3)
        cluster.stop()
        time.sleep(10)
        down = requests.get(f"{url}/tap/sync", params={"LANG": "ADQL", "QUERY": SMALL},
                            timeout=60)
        print(f"PostgreSQL stopped: TAP answers {down.status_code} "
              f"Retry-After {down.headers.get('Retry-After')}")
        cluster._start_server()  # what `soxsvo serve` does at its start, nothing more
        back = wait_until(lambda: requests.get(f"{url}/tap/sync", params={
            "LANG": "ADQL", "QUERY": SMALL}, timeout=10).ok, 180)
        print(f"PostgreSQL started: TAP answers again after {back and round(back, 1)} s, "
              "no restart of soxsvo serve")
        settled = wait_until(lambda: not {"QUEUED", "EXECUTING", "PENDING"} & set(
            _phases(jobs)), 300)
        stop.set()
        loader.join()
        print(f"{len(jobs)} async jobs submitted around the faults: {dict(_phases(jobs))} "
              f"(settled after {settled and round(settled)} s; none lost or stuck)")
        errors = background.get("errors", [])
        total = sum(background.get("counts", {}).values())
        kinds = collections.Counter(
            detail[0] if isinstance(detail, tuple) else detail.split("(")[0]
            for _, detail in errors)
        print(f"background load ({clients} clients, 0.5 s back-off after a failure): "
              f"{total:,} requests, {len(errors)} failed during the faults: {dict(kinds)}")
        messages = collections.Counter(
            _error_message(job) for job in jobs
            if requests.get(f"{job}/phase", timeout=10).text.strip() == "ERROR")
        print(f"   jobs in ERROR, by message: {dict(messages)}")
        for label, detail in [e for e in errors if isinstance(e[1], tuple)][:12]:
            print(f"   {label}: {detail[0]} {detail[1][-300:]!r}")
        with contextlib.suppress(Exception):
            state = _health(url)
            print(f"/health at the end: {state['status']}, jobs {state['jobs']}")
    full_disk(data_dir)


def full_disk(data_dir: Path) -> None:
    """Ingest with a reserve larger than the disk's free space: all refused, files kept."""
    folder = Path(tempfile.mkdtemp(prefix="fulldisk-"))
    sources = sorted((data_dir / "archive").rglob("*.fits"))[:20]
    from astropy.io import fits

    for path in sources:  # new products: the same ones with one more HISTORY card
        with fits.open(path) as hdul:
            hdul[0].header["HISTORY"] = "copy for the full-disk benchmark"
            hdul.writeto(folder / path.name, checksum=True)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = _cli(data_dir, "ingest", "--workers", "2", str(folder),
                SOXSVO_ARCHIVE_MIN_FREE_BYTES=str(10 ** 18))
    kept = sum(before[p.name] == p.read_bytes() for p in folder.iterdir())
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    print(f"full disk: ingest of {len(before)} products exits {done.returncode}: '{last}'; "
          f"files kept {kept}/{len(before)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["setup", "fuzz", "faults", "load"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--adql", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=1_600)
    parser.add_argument("--fits", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    if args.step == "setup":
        setup(args.data_dir)
    elif args.step == "fuzz":
        fuzz(args.data_dir, args.adql, args.alerts, args.fits, args.seed)
    elif args.step == "faults":
        faults(args.data_dir, min(args.clients, 8), args.seed)
    else:
        load(args.data_dir, args.clients, args.seconds, args.warmup, args.seed)


if __name__ == "__main__":
    main()
