"""What DataLink offers for a product: the links of each semantics, from the database.

Every query runs inside the caller's reader transaction (:func:`products.reading`): provenance,
ancillary files, calibrations and counterparts are found only where row-level security lets the
caller see them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import psycopg

from soxsvo.archive.products import Product, find_products

FITS_MIME = "application/fits"
PNG_MIME = "image/png"

#: ESO archive names (raw frames ``SOXS.<UTC>``, master calibrations ``M.SOXS.<UTC>``): only
#: such names can be fetched from the ESO archive.
_ESO_ARCHIVE_NAME = re.compile(r"^(M\.)?[A-Z][A-Z0-9_]*\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                               r"(\.fits)?$")

_SUBTYPE_LABEL = {"uvvis": "UV-VIS arm spectrum", "nir": "NIR arm spectrum",
                  "merged": "merged UV-VIS+NIR spectrum", "acquisition": "acquisition image"}

_ANCILLARY_LABEL = {"ANCILLARY.2DSPECTRUM": "rectified 2D spectrum (wavelength x slit)",
                    "ANCILLARY.SKYSPECTRUM": "sky spectrum",
                    "ANCILLARY.ORDERSPECTRA": "extracted spectra of each echelle order",
                    "ANCILLARY.TELLURICCORRECTED": "telluric-corrected spectrum",
                    "ANCILLARY.PREVIEW": "preview"}

@dataclass(frozen=True)
class Link:
    """One row of a DataLink links table (DataLink 1.1 section 3.2)."""

    id: str
    semantics: str
    access_url: str | None = None
    service_def: str | None = None
    error_message: str | None = None
    description: str | None = None
    content_type: str | None = None
    content_length: int | None = None
    content_qualifier: str | None = None
    local_semantics: str | None = None
    link_auth: str | None = None
    link_authorized: bool | None = None


@dataclass(frozen=True)
class CutoutDescriptor:
    """A SODA sync service descriptor bound to one product (its ID and wavelength range)."""

    ref: str
    product_id: str
    band_min: float | None
    band_max: float | None
    #: "spectrum" (cut by BAND) or "image" (cut by POS, CIRCLE or POLYGON).
    kind: str = "spectrum"


@dataclass(frozen=True)
class LinkSources:
    """Where the links point: this service's public URL and the ESO archive's file URL."""

    base_url: str
    eso_file_url: str

    def file(self, dp_id: str) -> str:
        return f"{self.base_url}/files/{quote(dp_id, safe=':')}"

    def eso(self, name: str) -> str:
        stem = name[:-5] if name.endswith(".fits") else name
        return self.eso_file_url.format(name=quote(stem, safe=":"))


def _auth(product: Product) -> dict:
    # Released data needs no login; a proprietary product is only visible to an authorised
    # caller, who is told so.
    if product.released:
        return {"link_auth": "false"}
    return {"link_auth": "true", "link_authorized": True}


def _own_links(given: str, product: Product, sources: LinkSources) -> list[Link]:
    label = _SUBTYPE_LABEL.get(product.subtype or "", product.dataproduct_type)
    note = " (superseded by a newer version)" if product.superseded else ""
    auth = _auth(product)
    links = [Link(given, "#this", access_url=sources.file(product.dp_id),
                  description=f"{label} of {product.target_name}, Phase 3 FITS{note}",
                  content_type=FITS_MIME, content_length=product.file_size,
                  content_qualifier=f"#{product.dataproduct_type}", **auth)]
    if product.is_spectrum:
        links.append(Link(given, "#preview", access_url=f"{sources.base_url}/preview/"
                          f"{quote(product.dp_id, safe=':')}.png",
                          description="plot of flux and error against wavelength (PNG)",
                          content_type=PNG_MIME, **auth))
    return links


def _progenitors(conn, given: str, product: Product, sources: LinkSources) -> list[Link]:
    rows = conn.execute(
        "SELECT pr.raw_arcfile, pr.known, rf.dpr_catg, rf.dpr_type FROM soxs.provenance pr "
        "LEFT JOIN soxs.raw_frame rf ON rf.arcfile = pr.raw_arcfile "
        "WHERE pr.publisher_did = %s ORDER BY pr.raw_arcfile", (product.publisher_did,)
    ).fetchall()
    links = []
    for arcfile, known, catg, dpr_type in rows:
        kind = f"{catg} {dpr_type} raw frame" if known and catg else "raw frame"
        if _ESO_ARCHIVE_NAME.match(arcfile):
            links.append(Link(given, "#progenitor", access_url=sources.eso(arcfile),
                              description=f"{kind} {arcfile} (ESO Science Archive)",
                              content_type=FITS_MIME, link_auth="optional"))
        else:
            links.append(Link(given, "#progenitor", error_message=f"raw frame {arcfile} is "
                              "not an ESO archive name: no copy can be linked",
                              description=kind))
    return links


def _calibrations(conn, given: str, product: Product, sources: LinkSources) -> list[Link]:
    rows = conn.execute(
        "SELECT name, category FROM soxs.calibration WHERE publisher_did = %s ORDER BY name",
        (product.publisher_did,)).fetchall()
    links = []
    for name, category in rows:
        what = f"master calibration {name}" + (f" ({category})" if category else "")
        if _ESO_ARCHIVE_NAME.match(name):
            links.append(Link(given, "#calibration", access_url=sources.eso(name),
                              description=f"{what}, ESO Science Archive",
                              content_type=FITS_MIME, link_auth="optional"))
        else:
            links.append(Link(given, "#calibration", description=what,
                              error_message=f"{what} is named by the product, but neither this "
                              "archive nor the ESO archive holds it under that name"))
    return links


def _auxiliary(conn, given: str, product: Product, sources: LinkSources) -> list[Link]:
    rows = conn.execute(
        "SELECT name, category, file_path IS NOT NULL, file_size, content_type "
        "FROM soxs.ancillary WHERE publisher_did = %s ORDER BY name",
        (product.publisher_did,)).fetchall()
    links = []
    for name, category, held, size, mime in rows:
        what = _ANCILLARY_LABEL.get(category, category.lower())
        if held:
            links.append(Link(
                given, "#auxiliary",
                access_url=f"{sources.file(product.dp_id)}/ancillary/{quote(name, safe='')}",
                description=f"{what}: {name}", content_type=mime,
                content_length=size, local_semantics=category, **_auth(product)))
        else:
            links.append(Link(given, "#auxiliary", description=f"{what}: {name}",
                              local_semantics=category, error_message=f"associated file {name} "
                              "was not delivered with the product and is not held here"))
    return links


def _counterparts(conn, given: str, product: Product, sources: LinkSources) -> list[Link]:
    rows = conn.execute(
        "SELECT o.dp_id, o.dataproduct_subtype, o.dataproduct_type, p.file_size, "
        "soxs.is_public(o.obs_release_date, o.data_rights) FROM ivoa.obscore o "
        "JOIN soxs.product p ON p.publisher_did = o.obs_publisher_did "
        "WHERE o.obs_id = %s AND o.obs_publisher_did <> %s AND NOT o.superseded "
        "ORDER BY o.dataproduct_subtype, o.dp_id",
        (product.obs_id, product.publisher_did)).fetchall()
    return [Link(given, "#counterpart", access_url=sources.file(dp_id),
                 description=f"{_SUBTYPE_LABEL.get(subtype or '', kind)} of the same "
                 f"observation ({dp_id})", content_type=FITS_MIME, content_length=size,
                 content_qualifier=f"#{kind}",
                 link_auth="false" if released else "true",
                 link_authorized=None if released else True)
            for dp_id, subtype, kind, size, released in rows]


def product_links(conn: psycopg.Connection, given: str, product: Product,
                  sources: LinkSources, descriptor_ref: str) -> tuple[list[Link],
                                                                       CutoutDescriptor | None]:
    """Every link of one visible product and its SODA cutout descriptor.

    Parameters
    ----------
    conn : psycopg.Connection
        Inside the caller's reader transaction.
    given : str
        The identifier as the caller sent it (the ``ID`` column repeats it).
    product : Product
        The product it names.
    sources : LinkSources
        URLs of this service and of the ESO archive.
    descriptor_ref : str
        XML ID of the product's cutout service descriptor.
    """
    links = _own_links(given, product, sources)
    for find in (_progenitors, _calibrations, _auxiliary, _counterparts):
        links.extend(find(conn, given, product, sources))
    if not product.is_spectrum:
        links.append(Link(given, "#cutout", service_def=descriptor_ref,
                          description="SODA cutout of this image by sky region (POS, CIRCLE or "
                          "POLYGON, degrees), as FITS", content_type=FITS_MIME,
                          content_qualifier="#image", **_auth(product)))
        return links, CutoutDescriptor(descriptor_ref, product.publisher_did, None, None,
                                       kind="image")
    links.append(Link(given, "#cutout", service_def=descriptor_ref,
                      description="SODA cutout of this spectrum by wavelength (BAND, metres), "
                      "as Phase 3 FITS or VOTable", content_type=FITS_MIME,
                      content_qualifier="#spectrum", **_auth(product)))
    return links, CutoutDescriptor(descriptor_ref, product.publisher_did, product.em_min,
                                   product.em_max)


def not_found(given: str) -> Link:
    """The error row of an identifier that is unknown or not the caller's to see."""
    return Link(given, "#this", error_message=f"NotFoundFault: {given}: no such product "
                "(unknown, or not released to you)")


def links_for(conn: psycopg.Connection, ids: Sequence[str],
              sources: LinkSources) -> tuple[list[Link], list[CutoutDescriptor]]:
    """Links of every identifier in ``ids`` (in order) and their cutout descriptors."""
    found = find_products(conn, list(dict.fromkeys(ids)))
    links: list[Link] = []
    descriptors: list[CutoutDescriptor] = []
    for given in ids:
        product = found.get(given)
        if product is None:
            links.append(not_found(given))
            continue
        rows, descriptor = product_links(conn, given, product, sources,
                                         f"soda-{len(descriptors) + 1}")
        links.extend(rows)
        if descriptor is not None:
            descriptors.append(descriptor)
    return links, descriptors
