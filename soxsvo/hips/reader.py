"""Read any HiPS, local or remote: properties, image tiles, catalogue tiles, pixel values.

Finding charts and tests read HiPS through this one class, whatever served them (soxsvo's own
``/hips/...``, a folder on disk, or a HiPS at CDS).
"""

from __future__ import annotations

import io
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
from astropy.io import fits

from soxsvo.hips.layout import parse_properties, tile_path
from soxsvo.hips.pixels import locate


class HiPSReader:
    """A HiPS at a URL (``http(s)://...``) or in a local folder.

    Parameters
    ----------
    source : str or Path
        Base URL or folder of the HiPS (where its ``properties`` file is).
    timeout : float
        Seconds to wait for each HTTP request.

    Examples
    --------
    >>> hips = HiPSReader("http://127.0.0.1:8000/hips/image")     # doctest: +SKIP
    >>> hips.values_at([150.0], [-30.0])                           # doctest: +SKIP
    """

    def __init__(self, source: str | Path, timeout: float = 30.0) -> None:
        self.source = str(source).rstrip("/")
        self.remote = self.source.startswith(("http://", "https://"))
        self.timeout = timeout
        self._read = lru_cache(maxsize=256)(self._fetch)

    def _fetch(self, relative: str) -> bytes | None:
        if self.remote:
            try:
                with urllib.request.urlopen(f"{self.source}/{relative}",
                                            timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                raise
        path = Path(self.source) / relative
        return path.read_bytes() if path.is_file() else None

    def read(self, relative: str) -> bytes | None:
        """The bytes of one file of the HiPS, or None if it does not exist."""
        return self._read(relative)

    @property
    def properties(self) -> dict[str, str]:
        """The ``properties`` file as a dict."""
        data = self.read("properties")
        if data is None:
            raise FileNotFoundError(f"{self.source} has no properties file")
        return parse_properties(data.decode("utf-8"))

    @property
    def order(self) -> int:
        """Deepest order (``hips_order``)."""
        return int(self.properties["hips_order"])

    @property
    def tile_width(self) -> int:
        """Tile width in pixels (``hips_tile_width``, 512 by default)."""
        return int(self.properties.get("hips_tile_width", 512))

    def tile(self, order: int, ipix: int) -> np.ndarray | None:
        """The pixels of a FITS image tile as stored, or None where the HiPS has no tile."""
        data = self.read(tile_path(order, ipix, "fits"))
        if data is None:
            return None
        with fits.open(io.BytesIO(data)) as hdus:
            return np.asarray(hdus[0].data, dtype=float)

    def catalogue_tile(self, order: int, ipix: int) -> list[dict[str, str]] | None:
        """The sources of a TSV catalogue tile as dicts (column name to text)."""
        data = self.read(tile_path(order, ipix, "tsv"))
        return None if data is None else parse_tsv(data.decode("utf-8"))

    def values_at(self, ra, dec, order: int | None = None) -> np.ndarray:
        """Pixel values at sky positions (degrees), NaN where no tile covers them.

        Parameters
        ----------
        ra, dec : array-like
            ICRS positions in degrees.
        order : int, optional
            Tile order to read; the deepest by default.
        """
        order = self.order if order is None else order
        width = self.tile_width
        tiles, rows, cols = locate(ra, dec, order, width)
        values = np.full(len(tiles), np.nan)
        for ipix in np.unique(tiles):
            pixels = self.tile(order, int(ipix))
            if pixels is not None:
                here = tiles == ipix
                values[here] = pixels[rows[here], cols[here]]
        return values


def parse_tsv(text: str) -> list[dict[str, str]]:
    """Rows of a HiPS TSV tile: ``#`` lines skipped, the first other line is the header."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    if not lines:
        return []
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
