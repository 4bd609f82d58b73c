"""Products as a caller may see them: the one lookup DataLink, SODA, previews and downloads share.

Every function here runs inside :func:`soxsvo.access.reading` for the caller's identity: a product
the caller may not see is simply not found (row-level security), indistinguishable from one that
does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True)
class Product:
    """A visible product and what the services need to serve it."""

    publisher_did: str
    dp_id: str
    obs_id: str
    dataproduct_type: str
    subtype: str | None
    file_path: str
    original_name: str
    sha256: str
    file_size: int
    em_min: float | None
    em_max: float | None
    em_xel: int | None
    target_name: str | None
    t_min: float | None
    snr: float | None
    release_date: datetime
    released: bool
    superseded: bool

    @property
    def is_spectrum(self) -> bool:
        """Previews and SODA cutouts exist for spectra only."""
        return self.dataproduct_type == "spectrum"


_PRODUCT_SQL = """
SELECT o.obs_publisher_did AS publisher_did, o.dp_id, o.obs_id, o.dataproduct_type,
       o.dataproduct_subtype AS subtype, p.file_path, p.original_name, p.sha256, p.file_size,
       o.em_min, o.em_max, o.em_xel, o.target_name, o.t_min, o.snr,
       o.obs_release_date AS release_date,
       soxs.is_public(o.obs_release_date, o.data_rights) AS released, o.superseded
  FROM ivoa.obscore o JOIN soxs.product p ON p.publisher_did = o.obs_publisher_did
"""




def find_products(conn: psycopg.Connection, ids: Sequence[str]) -> dict[str, Product]:
    """Visible products named by publisher DID or archive name (``dp_id``), keyed by the
    identifier as given; identifiers not visible are absent."""
    if not ids:
        return {}
    cur = conn.cursor(row_factory=class_row(Product))
    rows = cur.execute(_PRODUCT_SQL + " WHERE o.obs_publisher_did = ANY(%(ids)s)"
                       " OR o.dp_id = ANY(%(ids)s)", {"ids": list(ids)}).fetchall()
    by_key = {}
    for row in rows:
        by_key[row.publisher_did] = row
        by_key[row.dp_id] = row
    return {key: by_key[key] for key in ids if key in by_key}


def find_product(conn: psycopg.Connection, key: str) -> Product | None:
    """One visible product by publisher DID or ``dp_id``, else None."""
    return find_products(conn, [key]).get(key)
