"""Keeping the catalogue HiPS, the image HiPS and the coverage MOC current.

Usage: python benchmarks/bench_hips.py [--products 100000] [--transients 10000] [--new 1000]
                                       [--images 10]

On a private cluster: registers ``--products`` public spectra and ``--transients``
transients, builds the public catalogue HiPS and the space coverage MOC, then registers
``--new`` more spectra and times bringing both up to date (the HiPS is rebuilt whole, the MOC
is updated incrementally), and the check when nothing changed. Then registers ``--images``
synthetic acquisition images through the Phase 3 pipeline, builds the image HiPS, registers one
more and times the incremental update. Prints seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import scratch_cluster  # noqa: E402

from soxsvo.archive.register import ArchiveConfig, register_product  # noqa: E402
from soxsvo.demo.images import acquisition_image, write_acquisition_image  # noqa: E402
from soxsvo.hips.catalogue import CatalogueOptions  # noqa: E402
from soxsvo.hips.image import ImageOptions  # noqa: E402
from soxsvo.hips.store import public_catalogue, public_image_hips  # noqa: E402
from soxsvo.moc.coverage import Orders, coverage  # noqa: E402
from tests.moc.helpers import add_products, add_transients, random_sky  # noqa: E402


def timed(label: str, func, *args):
    started = time.perf_counter()
    result = func(*args)
    print(f"{label}: {time.perf_counter() - started:.3f} s", flush=True)
    return result


def bench_catalogue(conn, rng, products: int, transients: int, new: int, root: Path) -> None:
    options = CatalogueOptions()
    hips_root, orders = root / "hips", Orders(space=10, time=35)
    for start in range(0, products, 20000):
        stop = min(products, start + 20000)
        add_products(conn, *random_sky(rng, stop - start), prefix=f"p{start}-")
    add_transients(conn, *random_sky(rng, transients))
    conn.execute("ANALYZE")
    conn.commit()
    folder, action = timed(f"catalogue HiPS, full build ({products} spectra + {transients} "
                           "transients)", public_catalogue, conn, hips_root, options, 60)
    n_files = sum(1 for _ in folder.rglob("*.tsv"))
    print(f"  {n_files} tsv files, hips_order "
          f"{(folder / 'properties').read_text().split('hips_order ')[1].split()[1]}")
    timed("space MOC, full build", coverage, conn, "space", root / "moc", orders)
    timed("catalogue HiPS, nothing changed (state check)", public_catalogue, conn, hips_root,
          options, 60)
    add_products(conn, *random_sky(rng, new), prefix="new-")
    _, action = timed(f"catalogue HiPS after registering {new} spectra (rebuild)",
                      public_catalogue, conn, hips_root, options, 60)
    assert action == "rebuilt"
    result = timed(f"space MOC after registering {new} spectra (incremental)", coverage, conn,
                   "space", root / "moc", orders)
    assert result.action == "updated"


def bench_images(conn, rng, images: int, root: Path, conninfo: str) -> None:
    config = ArchiveConfig(store=root / "store", base_url="http://bench")
    work = root / "images"
    work.mkdir()

    def register(i: int) -> None:
        ra, dec = float(rng.uniform(0, 360)), float(rng.uniform(-60, 20))
        hdul = acquisition_image(rng, target=f"B{i}", ra=ra, dec=dec, mjd_obs=60000.1 + i,
                                 prog_id="116.2AZ7.001", obid=4_000_000 + i,
                                 arcfile="SOXS.2023-02-25T02:24:00.000.fits")
        path = write_acquisition_image(hdul, work / f"i{i}.fits")
        with psycopg.connect(conninfo) as own:
            register_product(own, path, config)

    for i in range(images):
        register(i)
    options = ImageOptions()
    timed(f"image HiPS, full build ({images} images of 512x512, order {options.order}, "
          f"{options.tile_width}-pixel tiles)", public_image_hips, conn, root / "hips", options,
          60)
    register(images)
    _, action = timed("image HiPS after registering 1 image (incremental)", public_image_hips,
                      conn, root / "hips", options, 60)
    assert action == "updated"
    _, action = timed("image HiPS, nothing changed", public_image_hips, conn, root / "hips",
                      options, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--transients", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--images", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(2)
    with (scratch_cluster("sxh-") as (root, cluster),
          psycopg.connect(cluster.conninfo()) as conn):
        bench_catalogue(conn, rng, args.products, args.transients, args.new, root)
        bench_images(conn, rng, args.images, root, cluster.conninfo())


if __name__ == "__main__":
    main()
