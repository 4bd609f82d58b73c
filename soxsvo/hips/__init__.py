"""HiPS 1.0 of the archive: a catalogue HiPS of spectra and transients, an image HiPS of the
acquisition camera's images, and a reader of any HiPS (local folder or URL).

Owns tile layout, building and incremental upkeep of the two HiPS from the database, and the
thin ``/hips`` views. Never decides visibility itself: rows come through
:func:`soxsvo.access.begin_as_reader`.
"""

from soxsvo.hips.layout import parse_properties, tile_path
from soxsvo.hips.reader import HiPSReader

__all__ = ["HiPSReader", "parse_properties", "tile_path"]
