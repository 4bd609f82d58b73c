"""Coverage MOCs (MOC 2.0: space, time, space-time) of the archive and MOC queries.

Owns building, caching and serialising MOCs of the visible spectra, reading MOCs and LVK
multi-order sky maps as query regions, and finding the rows inside them. The Flask views in
:mod:`soxsvo.moc.views` are thin adapters over these functions. HiPS lives elsewhere.
"""

from soxsvo.moc.coverage import KINDS, CoverageResult, Orders, coverage, visible_products_sql
from soxsvo.moc.query import TARGETS, QueryResult, moc_ranges, query_moc
from soxsvo.moc.serialize import FORMATS, MOCInputError, moc_bytes, read_region
from soxsvo.moc.skymap import SkyMapError, credible_region

__all__ = [
    "FORMATS", "KINDS", "TARGETS", "CoverageResult", "MOCInputError", "Orders", "QueryResult",
    "SkyMapError", "coverage", "credible_region", "moc_bytes", "moc_ranges", "query_moc",
    "read_region", "visible_products_sql",
]
