"""`pip install` of a wheel gives a working soxsvo, away from the checkout (issue 14).

The wheel is built from a copy of the checkout, installed into a fresh virtual environment in
``tmp_path``, and its ``soxsvo`` command is run from a folder outside the checkout against an
empty database of the test cluster: every migration, column metadata file, template and static
file must then come from the installed package.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import site
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

import psycopg
import pytest
import requests

from tests.support import free_port

CHECKOUT = Path(__file__).resolve().parents[1]

#: What a source distribution would leave out: never copied into the build folder.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "build", "dist",
                                     "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".ruff_cache", ".hypothesis")


def _build_isolation_args() -> list[str]:
    """``--no-build-isolation`` when this environment has the setuptools pyproject.toml asks
    for, else nothing: pip then builds in an isolated environment with setuptools and wheel
    from the package index (the only network this project's machines have; ~10 s). A venv
    usually has the older setuptools `python -m venv` bundles (65 for Python 3.11), which
    cannot read pyproject.toml's SPDX ``license`` string."""
    with (CHECKOUT / "pyproject.toml").open("rb") as handle:
        requires = tomllib.load(handle)["build-system"]["requires"]
    needed = next((int(m.group(1)) for r in requires
                   if (m := re.fullmatch(r"setuptools>=(\d+).*", r.replace(" ", "")))), 0)
    try:
        have = int(metadata.version("setuptools").split(".")[0])
        metadata.version("wheel")
    except (metadata.PackageNotFoundError, ValueError):
        return []
    return ["--no-build-isolation"] if have >= needed else []


def _tool_env() -> dict[str, str]:
    """This environment for pip and venv, less PYTHONPATH (which may name the checkout)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(args: list[str], env: dict[str, str], cwd: Path,
         timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the soxsvo wheel installed; returns its folder."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    shutil.copytree(CHECKOUT, source, ignore=_NOT_SOURCE)
    wheels = work / "wheels"
    # Build in a copy: pip's in-tree build leaves build/ and *.egg-info/ in the source folder.
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", *_build_isolation_args(),
              "-w", str(wheels), str(source)], _tool_env(), work))
    (wheel,) = wheels.glob("soxsvo-*.whl")

    # The environment: `python -m venv` run by this (virtual) environment's interpreter makes a
    # venv of its base interpreter, so nothing of the project's venv is in it. Installing the
    # dependencies too would fetch over a gigabyte (numba, scipy, pyarrow...) or need a cache:
    # slow, and not offline-safe. Instead the wheel alone is installed (--no-deps, by this
    # environment's pip through --python, so the venv needs no pip of its own), and a .pth file
    # appends this environment's site-packages *after* the venv's own: the dependencies come
    # from there, while soxsvo resolves to the wheel. (PYTHONPATH would put those site-packages
    # *before* the venv's, where a non-editable soxsvo of the project's venv would shadow the
    # wheel; a folder named in a .pth is not itself scanned for .pth files, so the project's
    # editable-install hook does not run either.)
    venv = work / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", str(venv)], _tool_env(), work))
    python = venv / "bin" / "python"
    _ok(_run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
              "--no-index", str(wheel)], _tool_env(), work))
    purelib = _ok(_run([str(python), "-c",
                        "import sysconfig; print(sysconfig.get_path('purelib'))"],
                       {"PATH": "/usr/bin:/bin"}, work)).strip()
    ours = [p for p in dict.fromkeys(site.getsitepackages()) if Path(p).is_dir()]
    (Path(purelib) / "zz_soxsvo_test_dependencies.pth").write_text("\n".join(ours) + "\n")
    return venv


@pytest.fixture
def user(installed: Path, tmp_path: Path, pg_cluster):
    """Environment and working folder of a user of the installed soxsvo, with an empty
    database (no template: `soxsvo db init` must create every table from the package)."""
    name = f"install_{os.getpid()}"
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    home = tmp_path / "home"
    home.mkdir()
    # Only what a user's shell would have: no PYTHONPATH (which names the checkout when the
    # suite runs from one), no SOXSVO_* of the test run.
    env = {"PATH": f"{installed / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "SOXSVO_DATABASE_URL": pg_cluster.conninfo(name),
           "SOXSVO_DATA_DIR": str(tmp_path / "data")}
    yield env, home
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_installed_wheel_works_from_outside_the_checkout(installed: Path, user) -> None:
    env, home = user
    assert not home.is_relative_to(CHECKOUT)
    soxsvo = str(installed / "bin" / "soxsvo")

    where = _ok(_run([str(installed / "bin" / "python"), "-c",
                      "import soxsvo; print(soxsvo.__file__)"], env, home)).strip()
    assert Path(where).is_relative_to(installed), where

    # Migrations of the package.
    migrations = len(list((CHECKOUT / "soxsvo" / "db" / "sql").glob("*.sql")))
    assert _ok(_run([soxsvo, "db", "init"], env, home)).strip() == (
        f"database ready ({migrations} migrations applied now)")
    assert "demo archive built 5 transients" in _ok(
        _run([soxsvo, "demo", "--transients", "5"], env, home))
    status = _ok(_run([soxsvo, "db", "status"], env, home))
    assert "database: external" in status
    assert "pending: 0" in status
    assert "transients: 5," in status

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([soxsvo, "serve", "--workers", "1"], cwd=home,
                              env=env | {"SOXSVO_PORT": str(port), "SOXSVO_TAP_JOB_WORKERS": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, "soxsvo serve exited"
            try:
                if requests.get(f"{url}/health", timeout=10).ok:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, "soxsvo serve did not answer in 90 s"
                time.sleep(0.2)
        # A template of the package (landing.html) with the archive's contents.
        landing = requests.get(url, timeout=30)
        assert landing.status_code == 200
        assert '<td id="n-transients">5</td>' in landing.text
        # Static files of the package.
        css = requests.get(f"{url}/static/soxsvo.css", timeout=30)
        assert css.status_code == 200
        assert css.text == (CHECKOUT / "soxsvo" / "web" / "static" / "soxsvo.css").read_text()
        # Column metadata of the package (db/columns/*.toml), through TAP_SCHEMA.
        tables = requests.get(f"{url}/tap/tables", timeout=30)
        assert tables.status_code == 200
        assert "Data product type: spectrum or image (ObsCore vocabulary)." in tables.text
        # No checkout, no SOXSVO_NODE_MODULES: the front-end libraries are missing, and the
        # answer says what to do.
        missing = requests.get(f"{url}/vendor/samp.js", timeout=30)
        assert missing.status_code == 503
        assert "set SOXSVO_NODE_MODULES" in missing.text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
