"""Time from `soxsvo demo` on an empty data dir to a served archive of N spectra.

Usage: python benchmarks/bench_demo.py [--transients 430]
Starts from nothing (a new data dir: initdb, migrations, demo, then `soxsvo serve` until
/health answers) and reports each stage's wall time and the number of spectra.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transients", type=int, default=430,
                        help="demo size (430 transients give about 1,000 spectra)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="sxb-", dir="/tmp"))
    data_dir.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, SOXSVO_DATA_DIR=str(data_dir), SOXSVO_PORT=str(port))
    env.pop("SOXSVO_DATABASE_URL", None)
    soxsvo = [sys.executable, "-m", "soxsvo.cli.main"]
    start = time.perf_counter()
    demo = subprocess.run([*soxsvo, "demo", "--transients", str(args.transients)], env=env,
                          capture_output=True, text=True, check=True)
    demo_done = time.perf_counter()
    server = subprocess.Popen([*soxsvo, "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        served = time.perf_counter()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    print(demo.stdout.strip())
    print(f"demo (initdb + migrations + generation + registration): {demo_done - start:.1f} s")
    print(f"serve until /health answers: {served - demo_done:.1f} s")
    print(f"total, empty data dir to served archive: {served - start:.1f} s")


if __name__ == "__main__":
    main()
