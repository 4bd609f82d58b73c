"""``soxsvo watch --raw``: a configured reduction command runs in a workspace of its own on the
raw frames of each observation block; its runs are recorded, and the products it writes are
packaged and registered like any others. The command here is a small script written by the
test that writes soxspipe-format output (and, like soxspipe, removes files it reads)."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from astropy.io import fits
from soxspipe_format import raw_header
from test_ingest_support import sums

from soxsvo.archive.register import ArchiveConfig
from soxsvo.archive.watch import Watcher
from soxsvo.pipeline.reduce import ReductionConfig, ReductionHook, expand_command

HERE = Path(__file__).parent

FAKE_SOXSPIPE = """\
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from astropy.io import fits
from soxspipe_format import write_products

raw_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
frames = sorted(raw_dir.glob("*.fits"))
print(f"fake soxspipe: {{len(frames)}} raw frames in {{raw_dir}}")
by_arm = {{}}
for frame in frames:
    header = fits.getheader(frame)
    by_arm.setdefault(header["HIERARCH ESO SEQ ARM"], []).append((frame.name, header))
for seed, (arm, members) in enumerate(sorted(by_arm.items())):
    write_products(out_dir, arm, [n for n, _ in members], [h for _, h in members], seed=seed)
    print(f"fake soxspipe: wrote {{arm}} products")
for frame in frames:
    frame.unlink()  # soxspipe moves and deletes what it reads
"""

FAILING = "import sys\nprint('fake soxspipe: no master bias found')\nsys.exit(3)\n"


@pytest.fixture
def config(settings):
    return ArchiveConfig.from_settings(settings)


def write_raw(folder: Path) -> list[Path]:
    """Two UV-VIS and two NIR raw frames of one observation block."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for arm in ("VIS", "NIR"):
        for k in range(2):
            path = folder / f"SOXS_{arm}_OBJ_{k}.fits"
            fits.PrimaryHDU(header=raw_header(arm, k)).writeto(path)
            paths.append(path)
    return paths


def reduction_config(tmp_path: Path, script: str) -> ReductionConfig:
    path = tmp_path / "fake_soxspipe.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    return ReductionConfig((sys.executable, str(path), "{raw_dir}", "{out_dir}"),
                           tmp_path / "workspaces", quiet=0.3, settle=0.1, timeout=60)


def runs(conninfo: str) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT command, workspace, raw_files, exit_status, status, log, products, "
            "finished_at IS NOT NULL FROM soxs.reduction_run ORDER BY run_id").fetchall()


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def products(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo) as conn:
        return {r[0] for r in conn.execute(
            "SELECT dataproduct_subtype FROM ivoa.obscore").fetchall()}


def test_expand_command_placeholders(tmp_path):
    command = expand_command(["soxspipe", "stare", "{raw_files}", "-o", "{out_dir}",
                              "--log={workspace}/x.log"], workspace=tmp_path / "w",
                             raw_dir=tmp_path / "w/raw", out_dir=tmp_path / "w/reduced",
                             raw_files=[Path("a.fits"), Path("b.fits")])
    assert command == ["soxspipe", "stare", "a.fits", "b.fits", "-o",
                       str(tmp_path / "w/reduced"), f"--log={tmp_path / 'w'}/x.log"]


def test_reduction_run_recorded_packaged_and_registered(tmp_path, config, db_conninfo):
    raw_dir, incoming = tmp_path / "instrument_raw", tmp_path / "incoming"
    raws = write_raw(raw_dir)
    before = sums(raws)
    rconfig = reduction_config(tmp_path, FAKE_SOXSPIPE.format(tests=str(HERE)))
    watcher = Watcher(incoming, config, lambda: psycopg.connect(db_conninfo), settle=0.2,
                      workers=0).start()
    hook = ReductionHook(raw_dir, rconfig, lambda: psycopg.connect(db_conninfo), incoming,
                         poll=0.1).start()
    try:
        assert wait_for(lambda: products(db_conninfo) == {"uvvis", "nir", "merged"}), \
            (runs(db_conninfo), list(incoming.rglob("*")))
        assert watcher.wait_idle(30)
    finally:
        hook.stop()
        watcher.stop()
    # The instrument's folder is untouched although the command deleted what it read.
    assert sorted(raw_dir.iterdir()) == sorted(raws) and sums(raws) == before
    [(command, workspace, raw_files, exit_status, status, log, names, finished)] = \
        runs(db_conninfo)
    workspace = Path(workspace)
    assert workspace.parent == tmp_path / "workspaces" and workspace != raw_dir
    assert command[:2] == list(rconfig.command[:2])
    assert command[2:] == [str(workspace / "raw"), str(workspace / "reduced")]
    assert sorted(raw_files) == sorted(map(str, raws))
    assert (exit_status, status, finished) == (0, "succeeded", True)
    assert "fake soxspipe: 4 raw frames" in log and "wrote NIR products" in log
    assert "3 Phase 3 products delivered" in log
    assert len(names) == 3 and all(n.endswith(".fits") for n in names)
    assert sorted(p.name for p in (incoming / "done").glob("*.fits")) == sorted(
        names + [n for n in (p.name for p in (incoming / "done").iterdir())
                 if n.endswith("_SKYSUB.fits")])
    with psycopg.connect(db_conninfo) as conn:
        ancillary = conn.execute(
            "SELECT a.category, a.content_type, a.file_path, a.sha256 FROM soxs.ancillary a "
            "JOIN soxs.product p USING (publisher_did) WHERE p.arm = 'UVVIS'").fetchall()
    assert [(c, t) for c, t, _, _ in ancillary] == [("ANCILLARY.2DSPECTRUM", "application/fits")]
    stored = Path(ancillary[0][2])
    assert stored.is_relative_to(config.store) and stored.name.startswith(ancillary[0][3])

    # A restart does not reduce the same frames again.
    hook = ReductionHook(raw_dir, rconfig, lambda: psycopg.connect(db_conninfo), incoming,
                         poll=0.1).start()
    time.sleep(1.5)
    hook.stop()
    assert len(runs(db_conninfo)) == 1 and not hook.runs


def test_failed_reduction_recorded_nothing_registered(tmp_path, config, db_conninfo):
    raw_dir, incoming = tmp_path / "raw", tmp_path / "incoming"
    write_raw(raw_dir)
    hook = ReductionHook(raw_dir, reduction_config(tmp_path, FAILING),
                         lambda: psycopg.connect(db_conninfo), incoming, poll=0.1).start()
    try:
        assert wait_for(lambda: bool(hook.runs))
    finally:
        hook.stop()
    [(_, _, raw_files, exit_status, status, log, names, finished)] = runs(db_conninfo)
    assert (exit_status, status, names, finished) == (3, "failed", [], True)
    assert "no master bias found" in log and "reduction failed with exit status 3" in log
    assert len(raw_files) == 4 and products(db_conninfo) == set()
    assert not incoming.exists() or not list(incoming.glob("*.fits"))


def test_missing_command_recorded_as_failed(tmp_path, db_conninfo):
    raw_dir = tmp_path / "raw"
    write_raw(raw_dir)
    rconfig = ReductionConfig(("no-such-soxspipe-binary", "{raw_dir}"), tmp_path / "ws",
                              quiet=0.2, settle=0.1)
    hook = ReductionHook(raw_dir, rconfig, lambda: psycopg.connect(db_conninfo),
                         tmp_path / "incoming", poll=0.1).start()
    try:
        assert wait_for(lambda: bool(hook.runs))
    finally:
        hook.stop()
    [(_, _, _, exit_status, status, log, _, _)] = runs(db_conninfo)
    assert (exit_status, status) == (127, "failed")
    assert "command not found: no-such-soxspipe-binary" in log
