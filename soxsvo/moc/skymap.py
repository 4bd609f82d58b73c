"""Credible regions of LVK multi-order sky maps (UNIQ, PROBDENSITY) as space MOCs."""

from __future__ import annotations

import math

import numpy as np
from mocpy import MOC

from soxsvo.errors import InputError


class SkyMapError(InputError):
    """A sky map or credible level that cannot be used; the message says why."""


def uniq_to_order_ipix(uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split NUNIQ numbers (``4 * 4**order + ipix``) into HEALPix order and NESTED index.

    Parameters
    ----------
    uniq : numpy.ndarray
        NUNIQ cell numbers (at least 4).

    Returns
    -------
    order, ipix : numpy.ndarray
    """
    uniq = np.asarray(uniq, dtype=np.int64)
    if uniq.size and uniq.min() < 4:
        raise SkyMapError("UNIQ values must be at least 4 (NUNIQ = 4 * 4**order + ipix)")
    order = _order_vectorised(uniq)
    ipix = uniq - (np.int64(4) << (2 * order))
    return order, ipix


def _order_vectorised(uniq: np.ndarray) -> np.ndarray:
    # log2 in float64 is exact enough to find the highest bit of numbers below 2**62; the
    # correction step removes the off-by-one at exact powers.
    order = (np.floor(np.log2(uniq.astype(np.float64))).astype(np.int64) - 2) // 2
    order = np.where((np.int64(4) << (2 * order)) > uniq, order - 1, order)
    order = np.where((np.int64(4) << (2 * (order + 1))) <= uniq, order + 1, order)
    return order


def credible_region(uniq: np.ndarray, probdensity: np.ndarray, level: float) -> MOC:
    """The smallest region holding probability ``level``: the greedy credible region.

    Cells are taken in order of decreasing probability *density* (per steradian), each adding
    density × cell area to the running sum, until the sum reaches ``level``; the cell that
    crosses it is included. Sorting by density rather than by per-cell probability is what
    makes the region the smallest one: in a multi-order map a large low-density cell can hold
    more probability than a small dense one, yet it must come after it.

    Parameters
    ----------
    uniq : numpy.ndarray
        NUNIQ numbers of the map's cells.
    probdensity : numpy.ndarray
        Probability density per steradian of each cell.
    level : float
        Credible level, 0 < level <= 1 (e.g. 0.9).

    Returns
    -------
    mocpy.MOC
        The region at the map's own resolution.
    """
    if not (isinstance(level, float | int) and 0 < level <= 1):
        raise SkyMapError(f"credible level must be in (0, 1], got {level!r}")
    density = np.asarray(probdensity, dtype=np.float64)
    if density.shape != np.shape(uniq) or density.size == 0:
        raise SkyMapError("the sky map has no cells, or UNIQ and PROBDENSITY differ in length")
    if not np.all(np.isfinite(density)) or density.min() < 0:
        raise SkyMapError("PROBDENSITY must be finite and non-negative")
    order, ipix = uniq_to_order_ipix(uniq)
    if order.max() > 29:
        raise SkyMapError("UNIQ values beyond HEALPix order 29")
    prob = density * (4 * math.pi / (12 * 4.0 ** order))
    total = prob.sum()
    if total <= 0:
        raise SkyMapError("the sky map holds no probability")
    ranked = np.argsort(-density, kind="stable")
    cumulative = np.cumsum(prob[ranked]) / total
    # The first cell at which the cumulative sum reaches the level is the last one taken;
    # the tolerance keeps level=1 from failing on rounding.
    last = int(np.searchsorted(cumulative, level - 1e-12, side="left"))
    chosen = ranked[: min(last + 1, ranked.size)]
    return MOC.from_healpix_cells(ipix[chosen].astype(np.uint64),
                                  order[chosen].astype(np.uint8), int(order.max()))


def probability_inside(uniq: np.ndarray, probdensity: np.ndarray, moc: MOC) -> float:
    """Total probability of the map's cells whose centre lies in ``moc`` (for checks)."""
    order, ipix = uniq_to_order_ipix(uniq)
    prob = np.asarray(probdensity, dtype=np.float64) * (4 * math.pi / (12 * 4.0 ** order))
    max_order = int(order.max())
    # A cell is inside when its first order-max sub-cell is (the MOC is made of whole cells).
    first = ipix << (2 * (max_order - order))
    ranges = moc.to_depth29_ranges.astype(np.int64)
    shift = 2 * (29 - max_order)
    lo, hi = ranges[:, 0] >> shift, ranges[:, 1] >> shift
    where = np.searchsorted(lo, first, side="right") - 1
    inside = (where >= 0) & (first < hi[np.clip(where, 0, None)])
    return float(prob[inside].sum() / prob.sum())
