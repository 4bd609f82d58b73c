"""Where each pixel of a HiPS image tile lies on the sky (HiPS 1.0 §4.2.1).

A tile of order k and width w = 2**s holds the HEALPix cells of order k + s inside the tile's
cell. Inside the tile the cells follow the HiPS convention (Aladin's ``xy2hpx``, and the HPX
projection WCS that ``reproject`` writes into tiles): for the array element ``[row, col]`` as
stored in the FITS tile, the NESTED sub-index interleaves the bits of ``col`` (odd bits) and of
``w - 1 - row`` (even bits). So the tile's first row holds the east (left) and north (right)
corners, the last row the south (left) and west (right) ones.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
from cdshealpix.nested import healpix_to_lonlat, lonlat_to_healpix


def _spread(values: np.ndarray, bits: int) -> np.ndarray:
    """Put bit i of each value at bit 2i."""
    out = np.zeros_like(values)
    for bit in range(bits):
        out |= ((values >> bit) & 1) << (2 * bit)
    return out


def _gather(values: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`_spread`: bit 2i of each value to bit i."""
    out = np.zeros_like(values)
    for bit in range(bits):
        out |= ((values >> (2 * bit)) & 1) << bit
    return out


def shift_order(width: int) -> int:
    """log2 of a tile width (a power of two)."""
    shift = int(width).bit_length() - 1
    if width <= 0 or 1 << shift != width:
        raise ValueError(f"tile width {width} is not a power of two")
    return shift


def subcell_grid(width: int) -> np.ndarray:
    """NESTED sub-index of every element ``[row, col]`` of a tile of ``width``."""
    bits = shift_order(width)
    rows, cols = np.mgrid[0:width, 0:width].astype(np.int64)
    return (_spread(cols, bits) << 1) | _spread(width - 1 - rows, bits)


def subcell_position(sub: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(row, col)`` in the tile array of NESTED sub-indices ``sub``."""
    bits = shift_order(width)
    sub = np.asarray(sub, dtype=np.int64)
    return width - 1 - _gather(sub, bits), _gather(sub >> 1, bits)


def tile_cells(order: int, ipix: int, width: int) -> np.ndarray:
    """The HEALPix NESTED cells (order ``order + log2(width)``) of every tile element."""
    return (np.int64(ipix) << (2 * shift_order(width))) + subcell_grid(width)


def tile_lonlat(order: int, ipix: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre (ra, dec in degrees) of every element of the tile, shaped like the tile."""
    cells = tile_cells(order, ipix, width)
    lon, lat = healpix_to_lonlat(cells.ravel(), order + shift_order(width))
    return (lon.to_value(u.deg).reshape(cells.shape), lat.to_value(u.deg).reshape(cells.shape))


def locate(ra, dec, order: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile index and ``(row, col)`` inside it of sky positions (degrees).

    Returns
    -------
    ipix, row, col : numpy.ndarray of int
    """
    ra = np.atleast_1d(np.asarray(ra, dtype=float))
    dec = np.atleast_1d(np.asarray(dec, dtype=float))
    shift = shift_order(width)
    cells = lonlat_to_healpix(np.mod(ra, 360) * u.deg, dec * u.deg,
                              order + shift).astype(np.int64)
    row, col = subcell_position(cells & ((1 << (2 * shift)) - 1), width)
    return cells >> (2 * shift), row, col
