"""An independent reference for areas of overlap on the sphere: counting points of a fine grid.

The grid is laid in the Lambert azimuthal equal-area projection centred near the regions, where
every grid cell covers the same solid angle, so the overlap area is (points inside both) x
(cell area). Membership: angular distance for circles; for polygons, the even-odd rule in the
gnomonic projection (great-circle edges are straight lines there) via matplotlib's Path. Shares
no code with soxs_adql.intersection_area (which clips polygons edge by edge).
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path

SQ_DEG_PER_SR = (180.0 / np.pi) ** 2


def _unit(lon: float, lat: float) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e1 = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(e1) < 1e-9:
        e1 = np.cross([1.0, 0.0, 0.0], centre)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(centre, e1)


def _inside(region: list[float], points: np.ndarray) -> np.ndarray:
    if len(region) == 3:
        cos_r = np.cos(np.radians(region[2]))
        return points @ _unit(region[0], region[1]) >= cos_r
    verts = np.array([_unit(region[i], region[i + 1]) for i in range(0, len(region), 2)])
    centre = verts.sum(axis=0)
    centre /= np.linalg.norm(centre)
    e1, e2 = _basis(centre)
    w = points @ centre
    ahead = w > 0
    gx = np.where(ahead, points @ e1 / np.where(ahead, w, 1), 0)
    gy = np.where(ahead, points @ e2 / np.where(ahead, w, 1), 0)
    vw = verts @ centre
    path = Path(np.column_stack([verts @ e1 / vw, verts @ e2 / vw]))
    return ahead & path.contains_points(np.column_stack([gx, gy]))


def overlap_area(a: list[float], b: list[float], centre: tuple[float, float], radius: float,
                 n: int = 1500) -> float:
    """Area (square degrees) of the overlap of DALI regions ``a`` and ``b``.

    Both must lie within ``radius`` degrees of ``centre``; the grid has ``n`` x ``n`` points.
    """
    c = _unit(*centre)
    e1, e2 = _basis(c)
    half = 2 * np.sin(np.radians(radius) / 2)  # projected radius of the covered cap
    step = 2 * half / n
    axis = -half + step * (np.arange(n) + 0.5)
    x, y = np.meshgrid(axis, axis)
    rho = np.hypot(x, y)
    angle = 2 * np.arcsin(np.clip(rho / 2, 0, 1))
    rho = np.where(rho == 0, 1, rho)
    points = (np.cos(angle)[..., None] * c
              + (np.sin(angle) / rho * x)[..., None] * e1
              + (np.sin(angle) / rho * y)[..., None] * e2).reshape(-1, 3)
    both = _inside(a, points) & _inside(b, points)
    return float(both.sum()) * step * step * SQ_DEG_PER_SR
