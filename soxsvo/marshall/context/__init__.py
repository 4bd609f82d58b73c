"""Context of transients: catalogues loaded into PostgreSQL and cross-matches against them.

Owns loading galaxy / star / AGN / variable catalogues (:mod:`.catalogs`) and choosing each
transient's host galaxy or stellar counterpart (:mod:`.crossmatch`); never reads alerts.
"""

from soxsvo.marshall.context.catalogs import CatalogError, LoadedCatalog, load_catalog
from soxsvo.marshall.context.crossmatch import crossmatch_transients

__all__ = ["CatalogError", "LoadedCatalog", "crossmatch_transients", "load_catalog"]
