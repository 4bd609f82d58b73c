"""Alert ingestion throughput with association and context cross-match at survey scale.

Usage: python benchmarks/bench_alerts.py [--alerts 20000] [--transients 1000000]
       [--galaxies 1000000] [--workers 2] [--batch 5000] [--cutouts] [--database-url URL]

Without ``--database-url`` a private PostgreSQL cluster is started in a temporary folder. Then

1. a galaxy catalogue of ``--galaxies`` rows (uniform on the sky, redshifts 0.005-0.3) is
   written as FITS and loaded with ``soxsvo.marshall.context.load_catalog`` (timed);
2. ``--transients`` known transients (with their survey aliases) are copied in;
3. ``--alerts`` ZTF alert packets are written, one Avro file each, from the real ZTF packet in
   ``tests/data/alerts/ztf`` (its schema and its 11 previous candidates; cutouts only with
   ``--cutouts``): 50 % fall 0.5" from known transients, 25 % are new objects and 25 % are
   second alerts of those new objects;
4. the folder is ingested with ``ingest_alert_paths_parallel`` (``--workers`` consumer processes:
   read, associate, photometry, current magnitude, host cross-match against the galaxy
   catalogue), and alerts per second = alerts / wall time. A re-run of the same folder
   (everything already ingested) is timed too.

Beside wall time it prints the CPU seconds spent by the consumer processes and by the private
cluster's PostgreSQL processes, and alerts per CPU-second: on a machine shared with other work
(load above the core count) the wall figure understates what two dedicated cores do, and
``2 x alerts per CPU-second`` is the figure for two cores kept busy (an estimate, labelled so).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import fastavro
import numpy as np
import psycopg
from astropy.table import Table

from soxsvo.db.cluster import LocalCluster
from soxsvo.marshall.context import load_catalog
from soxsvo.marshall.ingest import IngestConfig
from soxsvo.marshall.ingest.service import ingest_alert_paths_parallel
from soxsvo.tap.schema import upgrade_database

ZTF_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "alerts" / "ztf"
ARCSEC = 1 / 3600


def sky(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    return ra, dec


def load_galaxies(conn: psycopg.Connection, folder: Path, n: int, rng) -> float:
    ra, dec = sky(rng, n)
    table = Table({"source_id": np.arange(n), "ra": ra, "dec": dec,
                   "z": rng.uniform(0.005, 0.3, n), "mag": rng.uniform(12, 22, n)})
    path = folder / "galaxies.fits"
    table.write(path, format="fits")
    start = time.perf_counter()
    load_catalog(conn, "bench_galaxies", path, kind="galaxy")
    return time.perf_counter() - start


def load_transients(conn: psycopg.Connection, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    ra, dec = sky(rng, n)
    with conn.transaction():
        with conn.cursor().copy("COPY marshall.transient (name, ra, dec, discovery_survey) "
                                "FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((f"BENCH{i:07d}", float(ra[i]), float(dec[i]), "ZTF"))
        conn.execute("INSERT INTO marshall.alias (name, transient_id, survey) "
                     "SELECT name, transient_id, 'ZTF' FROM marshall.transient")
    conn.execute("ANALYZE marshall.transient")
    conn.execute("ANALYZE marshall.alias")
    conn.commit()
    return ra, dec


def write_alerts(folder: Path, n: int, known: tuple[np.ndarray, np.ndarray], rng,
                 cutouts: bool) -> None:
    template_path = ZTF_DATA / "alerts" / "472263571115115000.avro"
    with template_path.open("rb") as handle:
        reader = fastavro.reader(handle)
        schema, template = reader.writer_schema, next(reader)
    if not cutouts:
        template.update(cutoutScience=None, cutoutTemplate=None, cutoutDifference=None)
    folder.mkdir()
    n_known, n_new = n // 2, n // 4
    new_ra, new_dec = sky(rng, n_new)
    picks = rng.choice(len(known[0]), n_known, replace=False)
    for i in range(n):
        if i < n_known:
            ra, dec = known[0][picks[i]], known[1][picks[i]] + 0.5 * ARCSEC
            name = f"ZTF26k{i:07d}"
        else:
            j = (i - n_known) % n_new
            ra, dec = new_ra[j], new_dec[j] + (0.3 * ARCSEC if i >= n_known + n_new else 0)
            name = f"ZTF26n{j:07d}"
        ra, dec = float(ra) % 360.0, float(np.clip(dec, -90, 90))
        candid = 3_000_000_000_000_000 + i
        template["objectId"], template["candid"] = name, candid
        template["candidate"].update(ra=ra, dec=dec, candid=candid,
                                     jd=2461360.5 + i * 1e-5)
        for k, previous in enumerate(template["prv_candidates"] or ()):
            if previous.get("candid") is not None:
                previous["candid"] = candid - 1000 - k
        buffer = io.BytesIO()
        fastavro.writer(buffer, schema, [template])
        (folder / f"{candid}.avro").write_bytes(buffer.getvalue())


def postgres_cpu_seconds(cluster: LocalCluster | None) -> float:
    """CPU time of the cluster's postmaster, its live children and its exited children."""
    if cluster is None:
        return float("nan")
    pid_file = Path(cluster.pgdata) / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--transients", type=int, default=1_000_000)
    parser.add_argument("--galaxies", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--cutouts", action="store_true")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if not ZTF_DATA.is_dir():
        sys.exit(f"bench_alerts: the real ZTF packets are expected in {ZTF_DATA}")
    root = Path(tempfile.mkdtemp(prefix="sxba-", dir="/tmp"))
    root.chmod(0o755)
    cluster = None
    try:
        if args.database_url is None:
            cluster = LocalCluster(root / "pg")
            cluster.acquire()
            conninfo = cluster.conninfo()
        else:
            conninfo = args.database_url
        rng = np.random.default_rng(2026)
        with psycopg.connect(conninfo) as conn:
            upgrade_database(conn)
            load_s = load_galaxies(conn, root, args.galaxies, rng)
            print(f"galaxy catalogue: {args.galaxies} rows loaded in {load_s:.1f} s")
            start = time.perf_counter()
            known = load_transients(conn, args.transients, rng)
            print(f"known transients: {args.transients} in {time.perf_counter() - start:.1f} s")
        folder = root / "alerts"
        write_alerts(folder, args.alerts, known, rng, args.cutouts)
        size = sum(p.stat().st_size for p in folder.iterdir()) / args.alerts
        print(f"alerts: {args.alerts} ZTF packets of {size / 1024:.1f} KiB on average")
        config = IngestConfig(batch_alerts=args.batch)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        for label in ("first ingest", "re-ingest (all known)"):
            start, pg0, py0 = time.perf_counter(), postgres_cpu_seconds(cluster), \
                children_cpu_seconds()
            summary = ingest_alert_paths_parallel(conninfo, [folder], config, workers=args.workers)
            wall = time.perf_counter() - start
            pg_cpu = postgres_cpu_seconds(cluster) - pg0
            py_cpu = children_cpu_seconds() - py0
            print(f"{label}: {summary.line}")
            print(f"{label}: {wall:.2f} s wall, {args.alerts / wall:,.0f} alerts/s "
                  f"({args.workers} workers, batches of {args.batch})")
            print(f"{label}: CPU {py_cpu:.2f} s consumers + {pg_cpu:.2f} s PostgreSQL = "
                  f"{args.alerts / (py_cpu + pg_cpu):,.0f} alerts per CPU-second "
                  f"(load average now {os.getloadavg()[0]:.1f})")
    finally:
        if cluster is not None:
            cluster.release()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
