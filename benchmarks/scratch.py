"""A private, migrated PostgreSQL+q3c cluster for one benchmark run, removed afterwards.

Every self-contained benchmark starts from the same thing: the cluster code soxsvo itself uses
(:class:`soxsvo.db.cluster.LocalCluster`), the schema of ``sql/``, nothing else.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from soxsvo.db.cluster import LocalCluster
from soxsvo.tap.schema import upgrade_database


@contextmanager
def scratch_cluster(prefix: str) -> Iterator[tuple[Path, LocalCluster]]:
    """A scratch folder and a started, migrated cluster in ``<folder>/pg``; both go at the end.

    The folder is short (Unix socket paths are limited) and traversable by the unprivileged
    user PostgreSQL runs as when the benchmark runs as root.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    root.chmod(0o755)
    cluster = LocalCluster(root / "pg")
    cluster.acquire()
    try:
        with psycopg.connect(cluster.conninfo()) as conn:
            upgrade_database(conn)
        yield root, cluster
    finally:
        cluster.release()
        shutil.rmtree(root, ignore_errors=True)
