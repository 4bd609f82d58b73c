"""What row-level security costs: TAP cone search and ObsCore scan, anonymous vs consortium member.

Usage: python benchmarks/bench_rls.py [--rows 200000] [--cones 300] [--scans 30]
       python benchmarks/bench_rls.py --url https://host/tap --token sxv_... [--cones ...]

Without ``--url``: a private cluster gets ``--rows`` synthetic ObsCore products over the whole
sky (half public, half proprietary across two consortium programmes and one other), a
consortium member with an API token, and ``soxsvo serve --workers 2``. With ``--url``: any
soxsvo TAP service, ``--token`` being a consortium member's. Requests alternate anonymous and
member so that load from elsewhere on the machine hits both alike. The cone is 1 arcmin
(``--radius-arcmin``) at random centres on ``ivoa.obscore``; the scan is an aggregate over the
whole table that no index serves, so every row passes the policy. Self-contained runs also
time both in SQL (no HTTP, no token check) as anonymous, as the member and as the table owner
(no row-level security at all), which separates the policy's cost from authentication's.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import requests

SCAN = "SELECT COUNT(*) AS n, AVG(snr) AS snr FROM ivoa.obscore WHERE t_exptime > 100"
SQL_SCAN = "SELECT count(*), avg(snr) FROM ivoa.obscore WHERE t_exptime > 100"
PROGRAMMES = (("116.2AZ7.001", True), ("116.2AZ7.002", True), ("116.28QK.001", False))


def cone(rng: np.random.Generator, radius_deg: float) -> str:
    ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
    return ("SELECT obs_publisher_did, s_ra, s_dec, t_min, em_min, em_max, access_url "
            "FROM ivoa.obscore WHERE CONTAINS(POINT('ICRS', s_ra, s_dec), "
            f"CIRCLE('ICRS', {ra:.6f}, {dec:.6f}, {radius_deg:.8f})) = 1")


def timed(session: requests.Session, url: str, query: str) -> float:
    t0 = time.perf_counter()
    answer = session.post(f"{url}/sync", data={"LANG": "ADQL", "QUERY": query})
    answer.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def compare(url: str, token: str, queries: list[str]) -> tuple[list[float], list[float]]:
    """Run each query as anonymous then as the member; return both lists of milliseconds."""
    anonymous, member = requests.Session(), requests.Session()
    member.headers["Authorization"] = f"Bearer {token}"
    timed(anonymous, url, queries[0]), timed(member, url, queries[0])  # warm both paths
    a, m = [], []
    for query in queries:
        a.append(timed(anonymous, url, query))
        m.append(timed(member, url, query))
    return a, m


def report(name: str, a: list[float], m: list[float]) -> None:
    ma, mm = statistics.median(a), statistics.median(m)
    print(f"{name}: anonymous median {ma:.2f} ms (p95 {np.percentile(a, 95):.2f}), "
          f"member median {mm:.2f} ms (p95 {np.percentile(m, 95):.2f}), "
          f"difference {100 * (mm - ma) / ma:+.1f}% over {len(a)} each")


def fill(conn: psycopg.Connection, rows: int, rng: np.random.Generator) -> None:
    """``rows`` synthetic products: half released, half proprietary, in three programmes."""
    for proposal_id, consortium in PROGRAMMES:
        conn.execute("INSERT INTO soxs.programme (proposal_id, consortium) VALUES (%s, %s)",
                     (proposal_id, consortium))
    ra = rng.uniform(0, 360, rows)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    t_min = rng.uniform(60000, 61000, rows)
    exptime = rng.choice([600.0, 1200.0, 1800.0, 60.0], rows)
    programme = rng.integers(0, len(PROGRAMMES), rows)
    released = rng.random(rows) < 0.5
    with conn.cursor().copy("COPY soxs.product (publisher_did, dp_id, prodcatg, file_path, "
                            "original_name, sha256, md5, file_size) FROM STDIN") as copy:
        for i in range(rows):
            copy.write_row((f"ivo://bench/soxs?B{i}", f"B{i}", "SCIENCE.SPECTRUM",
                            f"b/{i}.fits", f"b{i}.fits", f"{i:064x}", f"{i:032x}", 1000))
    columns = ("dataproduct_type, calib_level, obs_collection, obs_id, obs_publisher_did, "
               "obs_release_date, data_rights, proposal_id, access_url, access_format, "
               "access_estsize, facility_name, instrument_name, dp_id, prodcatg, s_ra, s_dec, "
               "t_min, t_max, t_exptime, em_min, em_max, snr")
    with conn.cursor().copy(f"COPY ivoa.obscore ({columns}) FROM STDIN") as copy:
        for i in range(rows):
            copy.write_row((
                "spectrum", 2, "SOXS", f"OB{i}", f"ivo://bench/soxs?B{i}",
                "2020-01-01" if released[i] else "2099-01-01",
                "public" if released[i] else "proprietary", PROGRAMMES[programme[i]][0],
                f"http://bench/files/B{i}", "application/fits", 1, "ESO-NTT", "SOXS", f"B{i}",
                "SCIENCE.SPECTRUM", float(ra[i]), float(dec[i]), float(t_min[i]),
                float(t_min[i]) + 0.02, float(exptime[i]), 3.5e-7, 2.0e-6,
                float(rng.uniform(1, 50))))
    conn.commit()
    conn.execute("CLUSTER ivoa.obscore USING obscore_q3c")
    conn.execute("ANALYZE ivoa.obscore")
    conn.execute("ANALYZE soxs.product")
    conn.commit()


def sql_times(conninfo: str, identity, queries: list[str]) -> list[float]:
    """Milliseconds of each query's SQL in a reader transaction for ``identity`` (None: as the
    table owner, without row-level security)."""
    from soxsvo.access import begin_as_reader

    times = []
    with psycopg.connect(conninfo) as conn:
        for query in queries:
            if identity is not None:
                begin_as_reader(conn, 60, identity)
            t0 = time.perf_counter()
            conn.execute(query).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
    return times


def sql_compare(conninfo: str, args: argparse.Namespace) -> None:
    """The same comparison in SQL (no HTTP, no token check): the policy's own cost."""
    from soxsvo.access import ANONYMOUS, Identity

    member = Identity(user="bench", roles=frozenset({"consortium"}))
    rng = np.random.default_rng(1)
    cones = []
    for _ in range(args.cones):
        ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
        cones.append("SELECT obs_publisher_did, s_ra, s_dec, t_min, em_min, em_max, access_url "
                     "FROM ivoa.obscore WHERE q3c_radial_query(s_ra, s_dec, "
                     f"{ra}, {dec}, {args.radius_arcmin / 60})")
    scans = [SQL_SCAN] * args.scans
    for name, queries in ((f"SQL cone {args.radius_arcmin:g}'", cones), ("SQL scan", scans)):
        owner = statistics.median(sql_times(conninfo, None, queries))
        a = sql_times(conninfo, ANONYMOUS, queries)
        m = sql_times(conninfo, member, queries)
        report(name, a, m)
        print(f"  {name} as table owner (no row-level security): median {owner:.2f} ms")


def serve(conninfo: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir), SOXSVO_DATABASE_URL=conninfo,
               SOXSVO_PORT=str(port))
    server = subprocess.Popen([sys.executable, "-m", "soxsvo.cli.main", "serve", "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{url}/health", timeout=10).ok:
                return server, f"{url}/tap"
        except requests.RequestException:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("soxsvo serve did not start") from None
            time.sleep(0.3)


def run(url: str, token: str, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(1)
    cones = [cone(rng, args.radius_arcmin / 60) for _ in range(args.cones)]
    report(f"cone {args.radius_arcmin:g}'", *compare(url, token, cones))
    report("ObsCore scan", *compare(url, token, [SCAN] * args.scans))


def self_contained(args: argparse.Namespace) -> None:
    from scratch import scratch_cluster

    from soxsvo.access import tokens, users

    with scratch_cluster("sxr-") as (root, cluster):
        conninfo = cluster.conninfo()
        with psycopg.connect(conninfo) as conn:
            t0 = time.perf_counter()
            fill(conn, args.rows, np.random.default_rng(2))
            print(f"filled {args.rows} products in {time.perf_counter() - t0:.1f} s")
            users.add_user(conn, "bench")
            users.grant(conn, "bench", role="consortium")
            token = tokens.create_token(conn, "bench")
        sql_compare(conninfo, args)
        server, url = serve(conninfo, root / "data")
        try:
            run(url, token, args)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="A soxsvo TAP URL (default: build a private one).")
    parser.add_argument("--token", help="A consortium member's API token (with --url).")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cones", type=int, default=300)
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--radius-arcmin", type=float, default=1.0)
    args = parser.parse_args()
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        run(args.url.rstrip("/"), args.token, args)
    else:
        self_contained(args)


if __name__ == "__main__":
    main()
