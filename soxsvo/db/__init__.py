"""Database access: connections, the self-managed local cluster, migrations, table metadata.

Owns how soxsvo reaches PostgreSQL (an external server or its own cluster) and the schema's
life cycle; never speaks HTTP.
"""

from __future__ import annotations

import psycopg

from soxsvo.config import Settings
from soxsvo.db.cluster import INSTALL_HINT, ClusterError, LocalCluster
from soxsvo.errors import SoxsvoError

__all__ = ["Database", "DatabaseError", "ClusterError"]


class DatabaseError(SoxsvoError, RuntimeError):
    """The configured database cannot be used; the message says why and how to fix it."""


class Database:
    """Where soxsvo's database is, and the cluster behind it when soxsvo runs its own.

    Parameters
    ----------
    settings : Settings
        With ``database_url`` empty, a private cluster in ``<data_dir>/pg`` is used.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cluster: LocalCluster | None = None
        if settings.database_url:
            self.conninfo = settings.database_url
        else:
            self.cluster = LocalCluster(settings.data_path, run_as=settings.cluster_user)
            self.conninfo = self.cluster.conninfo()

    @property
    def managed(self) -> bool:
        """True when soxsvo runs the PostgreSQL server itself."""
        return self.cluster is not None

    def start(self) -> Database:
        """Start (or join) the private cluster if there is one, and check q3c is available."""
        if self.cluster is not None:
            self.cluster.acquire()
        with self.connect() as conn:
            require_q3c(conn)
        return self

    def stop(self) -> None:
        """Leave the private cluster (it stops when its last user leaves)."""
        if self.cluster is not None:
            self.cluster.release()

    def connect(self, **kwargs) -> psycopg.Connection:
        """A new connection to the soxsvo database."""
        try:
            return psycopg.connect(self.conninfo, **kwargs)
        except psycopg.OperationalError as exc:
            where = "the private cluster" if self.managed else "SOXSVO_DATABASE_URL"
            raise DatabaseError(f"cannot connect to {where}: {str(exc).strip()}") from None


def require_q3c(conn: psycopg.Connection) -> None:
    """Raise DatabaseError with install instructions when the server lacks the q3c extension."""
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'q3c'").fetchone()
    conn.rollback()
    if row is None:
        raise DatabaseError(f"the PostgreSQL server has no q3c extension: {INSTALL_HINT}")
