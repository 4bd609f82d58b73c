"""``soxsvo ingest|package|watch|validate``: Phase 3 products into the archive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from soxsvo.cli.common import fail, handles_errors, read_settings, started_database


# -- products --------------------------------------------------------------------------------
@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None,
              help="Processes that checksum and validate (default: CPUs).")
@handles_errors
def ingest(paths: tuple[Path, ...], workers: int | None) -> None:
    """Validate and register Phase 3 products (files or folders) in the archive."""
    from soxsvo.archive.ingest import ingest_paths
    from soxsvo.archive.register import ArchiveConfig

    settings = read_settings()
    database = started_database(settings)
    config = ArchiveConfig.from_settings(settings)

    def report(outcome) -> None:
        click.echo(outcome.line, err=outcome.status == "rejected")

    summary = ingest_paths(database.connect, paths, config, workers=workers, report=report)
    click.echo(summary.line)
    sys.exit(summary.exit_code)


@click.command()
@click.argument("reduced", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--raw", "raw_dirs", multiple=True, type=click.Path(path_type=Path),
              help="Folder of the raw frames the products name (repeatable).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder the Phase 3 products are written to.")
@click.option("--barycentric/--topocentric", default=False,
              help="Correct wavelengths to the barycentre (SPECSYS BARYCENT).")
@click.option("--input-air/--input-vacuum", "input_air", default=True,
              help="Whether soxspipe's wavelengths are in air (default) or vacuum.")
@click.option("--no-merge", is_flag=True, help="Do not write the merged UV-VIS+NIR spectrum.")
@handles_errors
def package(reduced: tuple[Path, ...], raw_dirs: tuple[Path, ...], out_dir: Path,
            barycentric: bool, input_air: bool, no_merge: bool) -> None:
    """Turn soxspipe SCI_SLIT_FLUX products into ESO Phase 3 spectra.

    Each observation is written whole or not at all; a file that cannot be packaged is named
    with its reason on stderr and the command goes on with the others (exit 2 at the end).
    Flux standards are skipped with a line saying so.
    """
    from soxsvo.pipeline.package import PackageError, package_reduced

    try:
        run = package_reduced(list(reduced), out_dir, raw_dirs=list(raw_dirs),
                              barycentric=barycentric, input_air=input_air,
                              merge=not no_merge)
    except PackageError as exc:
        fail(str(exc))
    for product in run.written:
        click.echo(f"{product.path}: {product.summary}")
    for left_out in run.not_packaged:
        click.echo(left_out.line, err=left_out.failed)
    tail = f", {len(run.failed)} files not packaged" if run.failed else ""
    click.echo(f"{len(run.written)} Phase 3 products written to {out_dir}{tail}")
    if run.failed:
        sys.exit(2)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--settle", type=float, default=1.0, show_default=True,
              help="Seconds a file's size must stay unchanged before it is registered.")
@click.option("--workers", type=int, default=None, help="Validation processes (default: CPUs).")
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Raw folder to reduce with the [pipeline] command (read-only).")
@handles_errors
def watch(directory: Path, settle: float, workers: int | None, raw_dir: Path | None) -> None:
    """Register every product that appears in DIRECTORY (done/ and rejected/ beside)."""
    from soxsvo.archive.register import ArchiveConfig
    from soxsvo.archive.watch import Watcher
    from soxsvo.pipeline.reduce import ReductionConfig, ReductionHook

    settings = read_settings()
    reduction = ReductionConfig.from_settings(settings)
    if raw_dir is not None and not reduction.command:
        fail("--raw needs a reduction command: set [pipeline] command in the configuration")
    if raw_dir is not None and raw_dir.resolve() == directory.resolve():
        fail("--raw must not be the watched folder: the raw folder is only ever read")
    database = started_database(settings)
    watcher = Watcher(directory, ArchiveConfig.from_settings(settings), database.connect,
                      settle=settle, workers=workers,
                      report=lambda line: click.echo(line, err=False),
                      after_commit=_record_observations)
    hook = None
    if raw_dir is not None:
        hook = ReductionHook(raw_dir, reduction, database.connect, directory,
                             report=lambda line: click.echo(line, err=False)).start()
    click.echo(f"soxsvo: watching {directory} (Ctrl-C to stop)", err=True)
    try:
        watcher.run_forever()
    finally:
        if hook is not None:
            hook.stop()


def _record_observations(conn, registered) -> None:
    """Mark the planned blocks the new products observed as done (the night's record)."""
    from soxsvo.observing.plans import record_registered

    for plan_obs_id, archive_obs_id in record_registered(conn, registered, actor="soxsvo watch"):
        click.echo(f"night plan: {plan_obs_id} observed ({archive_obs_id})")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Report as JSON.")
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check products against ESO's Phase 3 rules and report every violation."""
    from soxsvo.phase3.validate import main as validate_main

    sys.exit(validate_main([str(p) for p in paths], as_json=as_json))


