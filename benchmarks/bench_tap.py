"""TAP service benchmark against any TAP URL: cone latency, throughput, big result, upload.

Usage: python benchmarks/bench_tap.py http://127.0.0.1:8000/tap [--table marshall.transient]
       [--cones 200] [--clients 8] [--seconds 20] [--big-query "SELECT ..."] [--upload-rows 10000]
       [--upload-repeat 1] [--upload-only]
Cones are 1 arcmin at random positions on `--table` (columns ra, dec); throughput runs the same
cones from `--clients` threads; the big query is streamed as BINARY2 and timed to the last
byte; the upload crossmatch sends `--upload-rows` random positions inline (`--upload-repeat` times;
`--upload-only` skips the rest).
"""

from __future__ import annotations

import argparse
import io
import statistics
import threading
import time

import numpy as np
import requests


def cone_query(table: str, rng: np.random.Generator) -> str:
    ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
    return (f"SELECT * FROM {table} WHERE CONTAINS(POINT('ICRS', ra, dec), "
            f"CIRCLE('ICRS', {ra:.6f}, {dec:.6f}, {1 / 60:.8f})) = 1")


def run(session: requests.Session, url: str, query: str, **extra) -> float:
    t0 = time.perf_counter()
    answer = session.post(f"{url}/sync", data={"LANG": "ADQL", "QUERY": query, **extra})
    answer.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def latency(url: str, table: str, n: int) -> None:
    rng, session = np.random.default_rng(1), requests.Session()
    times = [run(session, url, cone_query(table, rng)) for _ in range(n)]
    print(f"cone 1': median {statistics.median(times):.1f} ms, "
          f"p95 {np.percentile(times, 95):.1f} ms over {n}")


def throughput(url: str, table: str, clients: int, seconds: float) -> None:
    done, stop = [], time.monotonic() + seconds

    def client(seed: int) -> None:
        rng, session = np.random.default_rng(seed), requests.Session()
        while time.monotonic() < stop:
            done.append(run(session, url, cone_query(table, rng)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"{clients} clients: {len(done) / seconds:.1f} requests/s, "
          f"p50 {statistics.median(done):.1f} ms")


def big_result(url: str, query: str) -> None:
    t0 = time.perf_counter()
    with requests.post(f"{url}/sync", data={"LANG": "ADQL", "QUERY": query, "MAXREC": 10**7},
                       stream=True) as answer:
        size = sum(len(chunk) for chunk in answer.iter_content(1 << 20))
    print(f"big result: {size / 2**20:.1f} MiB in {time.perf_counter() - t0:.2f} s")


def upload_csv(rows: int) -> str:
    """``rows`` random positions (id, ra, dec) as CSV, the same for every run."""
    rng = np.random.default_rng(2)
    ra, dec = rng.uniform(0, 360, rows), np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    lines = (f"{i},{a:.6f},{d:.6f}\n" for i, (a, d) in enumerate(zip(ra, dec, strict=True)))
    return "id,ra,dec\n" + "".join(lines)


def upload_query(table: str) -> str:
    """The 5 arcsec crossmatch of the upload ``mine`` with ``table``."""
    return (f"SELECT u.id, t.ra, t.dec FROM TAP_UPLOAD.mine AS u JOIN {table} AS t "
            "ON DISTANCE(POINT('', u.ra, u.dec), POINT('', t.ra, t.dec)) < 5.0/3600")


def upload(url: str, table: str, rows: int, repeat: int = 1) -> None:
    csv, query = upload_csv(rows).encode(), upload_query(table)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = requests.post(f"{url}/sync", data={"LANG": "ADQL", "QUERY": query,
                                                   "UPLOAD": "mine,param:mine"},
                               files={"mine": ("mine.csv", io.BytesIO(csv))})
        answer.raise_for_status()
        times.append(time.perf_counter() - t0)
    print(f"upload crossmatch of {rows} rows: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s over {repeat}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--table", default="marshall.transient")
    parser.add_argument("--cones", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--big-query", default=None)
    parser.add_argument("--upload-rows", type=int, default=10_000)
    parser.add_argument("--upload-repeat", type=int, default=1)
    parser.add_argument("--upload-only", action="store_true")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    if not args.upload_only:
        latency(url, args.table, args.cones)
        throughput(url, args.table, args.clients, args.seconds)
        if args.big_query:
            big_result(url, args.big_query)
    upload(url, args.table, args.upload_rows, args.upload_repeat)


if __name__ == "__main__":
    main()
