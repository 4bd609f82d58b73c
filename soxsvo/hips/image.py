"""The image HiPS of the acquisition camera's calibrated images (``SCIENCE.IMAGE`` products).

Each image is resampled onto the HEALPix cells of the deepest order (nearest input pixel of
each cell centre, through the image's WCS and cdshealpix), tiles of lower orders average the
four children below them, down to order 3, which also gets its ``Allsky.fits``. Updates are
incremental: a new image rewrites the deepest tiles it touches (its finite pixels over what was
there) and then only their ancestors, Allsky, ``Moc.fits`` and ``properties``. A manifest
(``manifest.json``) records which products the tree holds; when one is withdrawn or hidden
again, the tree is rebuilt from scratch into a new folder and swapped in.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from cdshealpix.nested import lonlat_to_healpix
from mocpy import MOC

from soxsvo.hips.layout import (
    HIPS_VERSION,
    format_properties,
    hips_date,
    tile_path,
)
from soxsvo.hips.pixels import tile_lonlat
from soxsvo.utils.atomic import write_atomically

MIN_ORDER = 3
#: Pixels per tile in Allsky.fits (a power of two; 32 keeps the file at 3 MB).
ALLSKY_TILE = 32


@dataclass(frozen=True)
class ImageOptions:
    """Deepest order, tile width and identifiers of the image HiPS."""

    order: int = 10
    tile_width: int = 256
    creator_did: str = "ivo://eso.org/soxs/hips/image"
    base_url: str = ""

    @classmethod
    def from_settings(cls, settings) -> ImageOptions:
        """Options from the ``[hips]`` and ``[archive]`` settings."""
        hips = settings.hips
        return cls(int(hips.image_order), int(hips.image_tile_width),
                   f"ivo://{settings.archive.authority}/hips/image", settings.public_url)


@dataclass
class Manifest:
    """What a tree holds: products (dp_id → sha256), orders, display cut, centre."""

    order: int
    tile_width: int
    products: dict[str, str] = field(default_factory=dict)
    cut: list[float] = field(default_factory=list)
    initial: list[float] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> Manifest | None:
        try:
            return cls(**json.loads((folder / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def save(self, folder: Path) -> None:
        write_atomically(folder / "manifest.json", json.dumps(asdict(self)).encode())


def read_image(path: Path) -> tuple[np.ndarray, WCS]:
    """Pixels (float) and celestial WCS of a Phase 3 image (primary HDU)."""
    with fits.open(path, memmap=False) as hdus:
        data = np.asarray(hdus[0].data, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-standard cards were checked at validation
            wcs = WCS(hdus[0].header, naxis=2)
    return data, wcs


def image_tiles(data: np.ndarray, wcs: WCS, order: int, width: int) -> dict[int, np.ndarray]:
    """The image resampled onto the tiles of ``order`` it touches (NaN where it has no data).

    Parameters
    ----------
    data : numpy.ndarray
        The image (rows = y, columns = x, as FITS stores it).
    wcs : astropy.wcs.WCS
        Its celestial WCS.
    order : int
        Tile order.
    width : int
        Tile width (power of two).

    Returns
    -------
    dict of int to numpy.ndarray
        Tile index → float32 array of ``width × width``.
    """
    ny, nx = data.shape
    # Every input pixel centre, plus the outer edges: the tiles any part of the image touches.
    ys, xs = np.mgrid[-0.5:ny:0.5, -0.5:nx:0.5]
    ra, dec = wcs.all_pix2world(xs.ravel(), ys.ravel(), 0)
    ok = np.isfinite(ra) & np.isfinite(dec)
    touched = np.unique(lonlat_to_healpix(np.mod(ra[ok], 360) * u.deg, dec[ok] * u.deg, order))
    tiles = {}
    for ipix in touched.tolist():
        lon, lat = tile_lonlat(order, ipix, width)
        x, y = wcs.all_world2pix(lon.ravel(), lat.ravel(), 0)
        col, row = np.rint(x), np.rint(y)
        inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        values = np.full(width * width, np.nan, dtype=np.float32)
        values[inside] = data[row[inside].astype(int), col[inside].astype(int)]
        if np.isfinite(values).any():
            tiles[ipix] = values.reshape(width, width)
    return tiles


def downsample(child: np.ndarray) -> np.ndarray:
    """Mean of each 2×2 block, ignoring NaN (NaN where all four are)."""
    w = child.shape[0]
    blocks = child.reshape(w // 2, 2, w // 2, 2)
    finite = np.isfinite(blocks)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, blocks, 0.0).sum(axis=(1, 3))
    out = np.full(count.shape, np.nan, dtype=np.float32)
    np.divide(total, count, out=out, where=count > 0)
    return out


def parent_tile(children: list[np.ndarray | None], width: int) -> np.ndarray:
    """A tile from its four children (index 4N + q, q = 0..3), each halved in resolution.

    Child q holds sub-index bits ``(col_half << 1) | north_half``: its block is column half
    ``q >> 1`` and row half ``0`` for q odd (the tile's first rows), ``1`` for q even.
    """
    half = width // 2
    tile = np.full((width, width), np.nan, dtype=np.float32)
    for q, child in enumerate(children):
        if child is None:
            continue
        row0 = 0 if q & 1 else half
        col0 = (q >> 1) * half
        tile[row0:row0 + half, col0:col0 + half] = downsample(child)
    return tile


def _tile_bytes(pixels: np.ndarray, order: int, ipix: int) -> bytes:
    hdu = fits.PrimaryHDU(pixels.astype(np.float32))
    hdu.header["ORDER"] = (order, "HiPS order of this tile")
    hdu.header["NPIX"] = (ipix, "HEALPix NESTED index of this tile")
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


class ImageTree:
    """One image HiPS folder on disk, updated tile by tile."""

    def __init__(self, folder: Path, options: ImageOptions) -> None:
        self.folder = folder
        self.options = options

    def read_tile(self, order: int, ipix: int) -> np.ndarray | None:
        path = self.folder / tile_path(order, ipix, "fits")
        if not path.is_file():
            return None
        with fits.open(path, memmap=False) as hdus:
            return np.asarray(hdus[0].data, dtype=np.float32)

    def write_tile(self, order: int, ipix: int, pixels: np.ndarray) -> None:
        write_atomically(self.folder / tile_path(order, ipix, "fits"),
                         _tile_bytes(pixels, order, ipix))

    def add_images(self, images: Iterable[tuple[str, str, Path]], manifest: Manifest) -> int:
        """Resample new images into the tree and refresh everything above them.

        Parameters
        ----------
        images : iterable of (dp_id, sha256, path)
            Products not in the tree yet, oldest first (later ones are drawn on top).
        manifest : Manifest
            Updated in place and saved.

        Returns
        -------
        int
            Number of tiles written at the deepest order.
        """
        order, width = self.options.order, self.options.tile_width
        touched: set[int] = set()
        for dp_id, sha256, path in images:
            data, wcs = read_image(path)
            for ipix, pixels in image_tiles(data, wcs, order, width).items():
                old = self.read_tile(order, ipix)
                if old is not None:
                    pixels = np.where(np.isfinite(pixels), pixels, old)
                self.write_tile(order, ipix, pixels)
                touched.add(ipix)
            manifest.products[dp_id] = sha256
            if not manifest.initial:
                centre = wcs.all_pix2world([[(data.shape[1] - 1) / 2,
                                             (data.shape[0] - 1) / 2]], 0)[0]
                manifest.initial = [float(centre[0] % 360), float(centre[1])]
            finite = data[np.isfinite(data)]
            if finite.size:
                low, high = np.percentile(finite, [1.0, 99.5])
                manifest.cut = [float(low), float(high)] if not manifest.cut else \
                    [min(manifest.cut[0], float(low)), max(manifest.cut[1], float(high))]
        self._refresh_ancestors(touched)
        self._write_moc(touched)
        self._write_allsky()
        self._write_properties(manifest)
        manifest.save(self.folder)
        return len(touched)

    def _refresh_ancestors(self, touched: set[int]) -> None:
        width = self.options.tile_width
        level = touched
        for order in range(self.options.order - 1, MIN_ORDER - 1, -1):
            level = {ipix >> 2 for ipix in level}
            for ipix in level:
                children = [self.read_tile(order + 1, 4 * ipix + q) for q in range(4)]
                self.write_tile(order, ipix, parent_tile(children, width))

    def _write_moc(self, touched: set[int]) -> None:
        path = self.folder / "Moc.fits"
        order = self.options.order
        cells = np.array(sorted(touched), dtype=np.uint64)
        moc = MOC.from_healpix_cells(cells, np.full(len(cells), order, dtype=np.uint8),
                                     order) if len(cells) else MOC.new_empty(order)
        if path.is_file():
            moc = moc.union(MOC.from_fits(str(path)))
        buffer = io.BytesIO()
        moc.serialize("fits").writeto(buffer)
        write_atomically(path, buffer.getvalue())

    def _write_allsky(self) -> None:
        """``Norder3/Allsky.fits``: the 768 order-3 tiles side by side, 27 per row."""
        width = self.options.tile_width
        n_tiles = 12 * 4 ** MIN_ORDER
        per_row = math.isqrt(n_tiles)
        small = min(ALLSKY_TILE, width)
        mosaic = np.full((math.ceil(n_tiles / per_row) * small, per_row * small), np.nan,
                         dtype=np.float32)
        folder = self.folder / f"Norder{MIN_ORDER}"
        for path in folder.glob("Dir*/Npix*.fits"):
            ipix = int(path.stem[4:])
            tile = self.read_tile(MIN_ORDER, ipix)
            while tile.shape[0] > small:
                tile = downsample(tile)
            row, col = divmod(ipix, per_row)
            mosaic[row * small:(row + 1) * small, col * small:(col + 1) * small] = tile
        buffer = io.BytesIO()
        fits.PrimaryHDU(mosaic).writeto(buffer)
        write_atomically(folder / "Allsky.fits", buffer.getvalue())

    def _write_properties(self, manifest: Manifest) -> None:
        options = self.options
        properties: dict[str, object] = {
            "creator_did": options.creator_did,
            "obs_title": "SOXS acquisition camera",
            "obs_description": "Calibrated images of the SOXS acquisition camera (Phase 3 "
                               "SCIENCE.IMAGE products) resampled onto HEALPix; the newest "
                               "image is on top where images overlap.",
            "obs_collection": "SOXS",
            "obs_regime": "Optical",
            "dataproduct_type": "image",
            "hips_version": HIPS_VERSION,
            "hips_builder": "soxsvo",
            "hips_release_date": hips_date(),
            "hips_status": "public master clonableOnce",
            "hips_frame": "equatorial",
            "hips_order": options.order,
            "hips_order_min": MIN_ORDER,
            "hips_tile_width": options.tile_width,
            "hips_tile_format": "fits",
            "hips_pixel_bitpix": -32,
            "hips_bunit": "adu",
            "hips_initial_fov": 0.1,
            "dataproduct_subtype": "live",
        }
        if manifest.cut:
            properties["hips_pixel_cut"] = f"{manifest.cut[0]:.6g} {manifest.cut[1]:.6g}"
        if manifest.initial:
            properties["hips_initial_ra"] = round(manifest.initial[0], 6)
            properties["hips_initial_dec"] = round(manifest.initial[1], 6)
        if options.base_url:
            properties["hips_service_url"] = f"{options.base_url}/hips/image"
        properties["soxs_products"] = len(manifest.products)
        write_atomically(self.folder / "properties", format_properties(properties).encode())
