"""The private PostgreSQL cluster soxsvo runs when no database URL is configured.

The cluster lives in ``<data dir>/pg`` and listens only on a Unix socket in ``<data dir>/run``.
Every soxsvo process that uses it holds a *lease* (a file named by its pid in ``run/leases``);
the first process starts the server, later ones reuse it, and the last one to leave stops it.
A lease whose process is gone is ignored, so a crashed process never keeps the cluster alive
for ever nor stops it under a live one.
"""

from __future__ import annotations

import atexit
import fcntl
import glob
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from soxsvo.errors import SoxsvoError

DATABASE_NAME = "soxsvo"
SUPERUSER = "soxsvo"
SOCKET_PORT = 5432
# A Unix socket path must fit in sun_path (108 bytes on Linux), ".s.PGSQL.5432" included.
MAX_SOCKET_DIR_LENGTH = 107 - len("/.s.PGSQL.5432")

INSTALL_HINT = (
    "install PostgreSQL 15 and q3c: apt-get install postgresql postgresql-15-q3c "
    "(Debian 12), or set SOXSVO_DATABASE_URL to a server that has the q3c extension"
)


class ClusterError(SoxsvoError, RuntimeError):
    """The private cluster cannot be created, started or reached; the message says why."""


def find_pg_bindir() -> Path:
    """Return the directory holding ``initdb`` and ``pg_ctl`` (the newest version installed)."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not candidates:
        raise ClusterError(f"PostgreSQL server programs (initdb, pg_ctl) not found: {INSTALL_HINT}")
    return Path(candidates[-1]).parent


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalCluster:
    """A PostgreSQL cluster owned by soxsvo in a data directory.

    Parameters
    ----------
    data_dir : Path
        soxsvo's data directory; the cluster uses ``pg/`` and ``run/`` inside it.
    run_as : str, optional
        System user that runs the server when soxsvo runs as root (PostgreSQL refuses root).
        Created as a system user if missing.
    """

    def __init__(self, data_dir: Path, run_as: str | None = "soxsvo") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pg"
        self.socket_dir = self.data_dir / "run"
        self.lease_dir = self.socket_dir / "leases"
        self.log_file = self.data_dir / "pg.log"
        self.run_as = run_as if os.geteuid() == 0 else None
        self._leased = False
        if len(str(self.socket_dir)) > MAX_SOCKET_DIR_LENGTH:
            raise ClusterError(
                f"data dir {self.data_dir} is too long a path for a Unix socket "
                f"(at most {MAX_SOCKET_DIR_LENGTH - 4} characters); "
                "choose a shorter SOXSVO_DATA_DIR"
            )

    # -- connection --------------------------------------------------------------------------
    def conninfo(self, dbname: str = DATABASE_NAME) -> str:
        """libpq connection string of a database in this cluster."""
        return f"host={self.socket_dir} port={SOCKET_PORT} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str = DATABASE_NAME) -> str:
        """The same as a ``postgresql://`` URL (socket directory in the ``host`` parameter)."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.socket_dir}&port={SOCKET_PORT}"

    # -- processes ---------------------------------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs: dict = {"capture_output": True, "text": True}
        if self.run_as:
            kwargs.update(user=self.run_as, group=pwd.getpwnam(self.run_as).pw_gid)
            kwargs["cwd"] = "/"
        proc = subprocess.run(list(args), **kwargs)
        if check and proc.returncode != 0:
            raise ClusterError(f"{Path(args[0]).name} failed: {proc.stderr.strip() or proc.stdout}")
        return proc

    def _ensure_system_user(self) -> None:
        if not self.run_as:
            return
        try:
            pwd.getpwnam(self.run_as)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", self.run_as],
                check=True, capture_output=True,
            )

    def _prepare_dirs(self) -> None:
        for folder in (self.pgdata, self.socket_dir, self.lease_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        if self.run_as:
            account = pwd.getpwnam(self.run_as)
            for folder in (self.pgdata, self.socket_dir):
                os.chown(folder, account.pw_uid, account.pw_gid)
            self.log_file.touch()
            os.chown(self.log_file, account.pw_uid, account.pw_gid)
            probe = self._run("test", "-w", str(self.socket_dir), check=False)
            if probe.returncode != 0:
                raise ClusterError(
                    f"user {self.run_as!r} cannot reach {self.socket_dir}: a parent directory "
                    f"of the data dir is closed to other users; choose a SOXSVO_DATA_DIR such "
                    f"as /var/lib/soxsvo"
                )

    def is_initialised(self) -> bool:
        """True once ``initdb`` has written the cluster."""
        return (self.pgdata / "PG_VERSION").exists()

    def initialise(self) -> None:
        """Run ``initdb``: UTF-8, superuser ``soxsvo``, trust over the private socket only."""
        bindir = find_pg_bindir()
        self._ensure_system_user()
        self._prepare_dirs()
        if self.is_initialised():
            return
        self._run(
            str(bindir / "initdb"), "-D", str(self.pgdata), "--username", SUPERUSER,
            "--auth", "trust", "--encoding", "UTF8", "--locale", "C.UTF-8",
        )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            # No TCP at all: the socket directory's permissions are the access control.
            conf.write(
                "\n# written by soxsvo\nlisten_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                f"port = {SOCKET_PORT}\n"
            )

    def is_running(self) -> bool:
        """True when a server answers on this cluster's socket."""
        if not self.is_initialised():
            return False
        proc = self._run(str(find_pg_bindir() / "pg_ctl"), "status", "-D", str(self.pgdata),
                         check=False)
        return proc.returncode == 0

    def _start_server(self) -> None:
        proc = self._run(
            str(find_pg_bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
            "-l", str(self.log_file), check=False,
        )
        if proc.returncode != 0:
            log = self.log_file
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"PostgreSQL did not start in {self.pgdata}: {tail.strip()}")
        self._ensure_database()

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        """Stop the server (fast shutdown: open transactions are rolled back)."""
        if self.is_running():
            self._run(str(find_pg_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast",
                      "-D", str(self.pgdata))

    # -- leases ------------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "cluster.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def live_leases(self) -> list[int]:
        """Pids of the processes using the cluster now (stale leases are removed)."""
        pids = []
        if not self.lease_dir.exists():
            return pids
        for lease in self.lease_dir.iterdir():
            pid = int(lease.name) if lease.name.isdigit() else -1
            if pid > 0 and _pid_alive(pid):
                pids.append(pid)
            else:
                lease.unlink(missing_ok=True)
        return sorted(pids)

    def acquire(self) -> None:
        """Start the cluster, or join the running one, and stop it at exit if we are last."""
        with self._locked():
            self.initialise()
            self.lease_dir.mkdir(parents=True, exist_ok=True)
            self.live_leases()
            if not self.is_running():
                self._start_server()
            (self.lease_dir / str(os.getpid())).write_text("")
            self._leased = True
        owner = os.getpid()
        atexit.register(self._release_at_exit, owner)

    def _release_at_exit(self, owner: int) -> None:
        # Forked children (gunicorn workers) inherit atexit hooks: only the lease holder releases.
        if os.getpid() == owner:
            self.release()

    def release(self) -> None:
        """Drop this process's lease and stop the server if no other process holds one."""
        if not self._leased:
            return
        with self._locked():
            (self.lease_dir / str(os.getpid())).unlink(missing_ok=True)
            self._leased = False
            if not self.live_leases():
                self.stop()


def exit_on_signals() -> None:
    """Turn SIGTERM and SIGINT into a normal exit, so that leases are released and the
    cluster stops cleanly instead of being killed with the process."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
