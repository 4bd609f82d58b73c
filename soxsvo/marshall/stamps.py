"""Alert stamps: the science, reference and difference cutouts kept at ingestion, as PNGs.

The cutouts are stored as the packet carries them (``marshall.stamp``, sql/140); a PNG is drawn
on request with a ZScale interval and an asinh stretch (the difference image linear and
symmetric around zero, so that a negative difference reads as dark). Drawn PNGs are kept in a
small in-process cache keyed by the stamp's content (its MD5, computed by PostgreSQL), never by
its id: the caller's right to the stamp is checked by the query under row-level security
*before* the cache is asked, so a cached PNG is only ever handed to a caller who may read its
stamp.
"""

from __future__ import annotations

import gzip
import io
import threading
import warnings
from collections import OrderedDict, defaultdict
from typing import Any

import numpy as np
import psycopg
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning
from astropy.visualization import AsinhStretch, ImageNormalize, LinearStretch, ZScaleInterval
from matplotlib.image import imsave
from psycopg.rows import dict_row

#: Bump when the drawing changes: cached PNGs of the old drawing are then not served.
STAMP_VERSION = 1
#: Drawn PNGs kept per process (about 5 kB each).
CACHE_SIZE = 2048
#: Cutout kinds in the order pages show them.
KINDS = ("science", "reference", "difference")
_GZIP_MAGIC = b"\x1f\x8b"


class StampError(ValueError):
    """A stored cutout that is not a drawable FITS image."""


def _image(data: bytes) -> np.ndarray:
    """The 2-D pixel array of a cutout (gzip-compressed or plain FITS)."""
    raw = gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    try:
        # ZTF writes its cutouts' SIMPLE card off the standard's columns; astropy reads them
        # fine after saying so, once per stamp.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VerifyWarning)
            return _first_image(raw)
    except (OSError, ValueError, TypeError) as exc:
        raise StampError(f"not a FITS image: {exc}") from None


def _first_image(raw: bytes) -> np.ndarray:
    with fits.open(io.BytesIO(raw)) as hdus:
        for hdu in hdus:
            if hdu.data is not None and getattr(hdu.data, "ndim", 0) == 2:
                return np.asarray(hdu.data, dtype=float)
    raise StampError("the FITS file holds no 2-D image")


def render_png(data: bytes, kind: str) -> bytes:
    """A grey-scale PNG of one cutout.

    Parameters
    ----------
    data : bytes
        The cutout as stored (FITS, gzip-compressed or not).
    kind : str
        ``science``, ``reference`` or ``difference``.

    Returns
    -------
    bytes
        PNG, one pixel per cutout pixel, north up as the survey wrote it (FITS row 0 at
        the bottom).

    Raises
    ------
    StampError
        When ``data`` is not a FITS image.
    """
    pixels = _image(data)
    finite = np.isfinite(pixels)
    if not finite.any():
        scaled = np.zeros_like(pixels)
    else:
        # Blank pixels (NaN at the chip edge) are drawn as the background.
        pixels = np.where(finite, pixels, np.nanmedian(pixels[finite]))
        vmin, vmax = ZScaleInterval().get_limits(pixels)
        stretch = AsinhStretch(0.1)
        if kind == "difference":
            # Symmetric limits and a linear stretch: zero difference is mid-grey, a fading
            # source dark (asinh would move zero to 3/4 grey and hide the sign).
            vmax = max(abs(vmin), abs(vmax)) or 1.0
            vmin, stretch = -vmax, LinearStretch()
        if vmax <= vmin:
            vmax = vmin + 1.0
        norm = ImageNormalize(vmin=vmin, vmax=vmax, stretch=stretch, clip=True)
        scaled = np.asarray(norm(pixels).filled(0.0), dtype=float)
    buffer = io.BytesIO()
    imsave(buffer, scaled, cmap="gray", vmin=0.0, vmax=1.0, origin="lower", format="png")
    return buffer.getvalue()


class _PngCache:
    """A thread-safe LRU of drawn PNGs keyed by content hash."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.drawn = 0

    def get_or_draw(self, key: str, draw) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        png = draw()
        with self._lock:
            self.drawn += 1
            self._items[key] = png
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return png


_CACHE = _PngCache(CACHE_SIZE)


def stamp_png(conn: psycopg.Connection, stamp_id: int) -> tuple[bytes, str] | None:
    """The PNG of a stamp and its ETag, or None when the caller may not see it (or it does
    not exist: the two are not told apart).

    Parameters
    ----------
    conn : psycopg.Connection
        In the caller's reader transaction: row-level security decides what it sees.
    stamp_id : int
    """
    found = conn.execute("SELECT kind, md5(data) FROM marshall.stamp WHERE stamp_id = %s",
                         (stamp_id,)).fetchone()
    if found is None:
        return None
    kind, digest = found
    key = f"{digest}-{kind}-v{STAMP_VERSION}"

    def draw() -> bytes:
        data = conn.execute("SELECT data FROM marshall.stamp WHERE stamp_id = %s",
                            (stamp_id,)).fetchone()[0]
        return render_png(bytes(data), kind)

    return _CACHE.get_or_draw(key, draw), key


def latest_stamps(conn: psycopg.Connection, transient_ids: list[int]
                  ) -> dict[int, dict[str, Any]]:
    """The newest alert's stamps of each transient (for list rows): ``{transient_id:
    {"alert_id", "survey", "mjd", "stamps": {kind: stamp_id}}}``."""
    if not transient_ids:
        return {}
    rows = conn.execute(
        "SELECT i.id, n.survey, n.alert_id, n.mjd, s.kind, s.stamp_id "
        "FROM unnest(%s::bigint[]) AS i(id) CROSS JOIN LATERAL ("
        "  SELECT x.survey, x.alert_id, x.mjd FROM marshall.stamp x WHERE x.transient_id = i.id"
        "  ORDER BY x.mjd DESC NULLS LAST, x.alert_id DESC LIMIT 1) n "
        "JOIN marshall.stamp s ON s.transient_id = i.id AND s.survey = n.survey "
        "AND s.alert_id = n.alert_id",
        (transient_ids,)).fetchall()
    found: dict[int, dict[str, Any]] = {}
    for transient_id, survey, alert_id, mjd, kind, stamp_id in rows:
        entry = found.setdefault(transient_id, {"survey": survey, "alert_id": alert_id,
                                                "mjd": mjd, "stamps": {}})
        entry["stamps"][kind] = stamp_id
    return found


def transient_stamps(conn: psycopg.Connection, transient_id: int) -> list[dict[str, Any]]:
    """Every alert's stamps of a transient, latest first: ``[{"survey", "alert_id", "mjd",
    "stamps": {kind: stamp_id}}]``."""
    rows = conn.cursor(row_factory=dict_row).execute(
        "SELECT survey, alert_id, mjd, kind, stamp_id FROM marshall.stamp "
        "WHERE transient_id = %s ORDER BY mjd DESC NULLS LAST, alert_id DESC",
        (transient_id,)).fetchall()
    alerts: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for row in rows:
        entry = alerts[(row["survey"], row["alert_id"])]
        entry.setdefault("survey", row["survey"])
        entry.setdefault("alert_id", row["alert_id"])
        entry.setdefault("mjd", row["mjd"])
        entry.setdefault("stamps", {})[row["kind"]] = row["stamp_id"]
    return list(alerts.values())
