"""The DataLink links VOTable: the links table and one SODA service descriptor per product."""

from __future__ import annotations

from collections.abc import Sequence

from soxsvo.datalink.links import FITS_MIME, CutoutDescriptor, Link
from soxsvo.formats.votable_xml import VOTABLE_NS, VOTABLE_VERSION, escape

#: MIME type of a DataLink links document (DataLink 1.1 section 3.3).
DATALINK_MIME = "application/x-votable+xml;content=datalink"
SODA_SYNC_ID = "ivo://ivoa.net/std/SODA#sync-1.0"
VOTABLE_MIME = "application/x-votable+xml"

_SCHEMA = "http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd"

#: (name, datatype, ucd, unit, description) of the links table, in DataLink 1.1 order.
COLUMNS = (
    ("ID", "char", "meta.id;meta.main", None, "Identifier of the dataset the link is for"),
    ("access_url", "char", "meta.ref.url", None, "URL of the linked resource"),
    ("service_def", "char", "meta.ref", None, "Reference to a service descriptor resource"),
    ("error_message", "char", "meta.code.error", None, "Why no link can be given"),
    ("semantics", "char", "meta.code", None, "Term from the IVOA DataLink vocabulary"),
    ("description", "char", "meta.note", None, "What the link leads to"),
    ("content_type", "char", "meta.code.mime", None, "MIME type of the linked resource"),
    ("content_length", "long", "phys.size;meta.file", "byte", "Size of the linked resource"),
    ("content_qualifier", "char", "meta.code.class", None,
     "Product type of the linked resource (IVOA product-type vocabulary)"),
    ("local_semantics", "char", "meta.code", None, "Archive's own term for the link"),
    ("link_auth", "char", "meta.code", None, "Whether the link needs authentication"),
    ("link_authorized", "boolean", "meta.code", None, "Whether the caller is authorized"),
)


def _field(name: str, datatype: str, ucd: str, unit: str | None, description: str) -> str:
    size = ' arraysize="*"' if datatype == "char" else ""
    unit_attr = f' unit="{unit}"' if unit else ""
    # No FIELD ID: astropy names a column after its ID when there is one, and clients read
    # the links by their DataLink names (row["semantics"]).
    return (f'<FIELD name="{name}" datatype="{datatype}"{size}{unit_attr} '
            f'ucd="{ucd}"><DESCRIPTION>{escape(description)}</DESCRIPTION></FIELD>')


def _cell(value) -> str:
    if value is None:
        return "<TD/>"
    if isinstance(value, bool):
        return f"<TD>{'T' if value else 'F'}</TD>"
    return f"<TD>{escape(str(value))}</TD>"


def _row(link: Link) -> str:
    values = (link.id, link.access_url, link.service_def, link.error_message, link.semantics,
              link.description, link.content_type, link.content_length,
              link.content_qualifier, link.local_semantics, link.link_auth,
              link.link_authorized)
    return "<TR>" + "".join(_cell(v) for v in values) + "</TR>"


def _band_param(descriptor: CutoutDescriptor) -> str:
    limits = ""
    if descriptor.band_min is not None and descriptor.band_max is not None:
        limits = (f'<VALUES><MIN value="{descriptor.band_min!r}"/>'
                  f'<MAX value="{descriptor.band_max!r}"/></VALUES>')
    return ('<PARAM name="BAND" datatype="double" arraysize="2" xtype="interval" unit="m" '
            'ucd="em.wl;stat.interval" value="">'
            "<DESCRIPTION>Wavelength interval to keep, in metres, as 'lo hi' (DALI interval; "
            f"-Inf or +Inf for an open end)</DESCRIPTION>{limits}</PARAM>")


_SPATIAL_PARAMS = (
    '<PARAM name="POS" datatype="char" arraysize="*" ucd="obs.field" value="">'
    "<DESCRIPTION>Region to keep (degrees, ICRS): CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2 or "
    "POLYGON ra1 dec1 ra2 dec2 ...</DESCRIPTION></PARAM>"
    '<PARAM name="CIRCLE" datatype="double" arraysize="3" xtype="circle" unit="deg" '
    'ucd="obs.field" value=""><DESCRIPTION>Circle to keep: ra dec radius</DESCRIPTION></PARAM>'
    '<PARAM name="POLYGON" datatype="double" arraysize="*" xtype="polygon" unit="deg" '
    'ucd="obs.field" value=""><DESCRIPTION>Polygon to keep: ra dec pairs</DESCRIPTION></PARAM>')


def _input_params(descriptor: CutoutDescriptor) -> str:
    if descriptor.kind == "image":
        return (_SPATIAL_PARAMS + '<PARAM name="RESPONSEFORMAT" datatype="char" arraysize="*" '
                f'ucd="meta.code.mime" value="{FITS_MIME}"><VALUES>'
                f'<OPTION value="{FITS_MIME}"/></VALUES></PARAM>')
    return (_band_param(descriptor)
            + '<PARAM name="RESPONSEFORMAT" datatype="char" arraysize="*" ucd="meta.code.mime" '
            f'value="{FITS_MIME}"><VALUES><OPTION value="{FITS_MIME}"/>'
            f'<OPTION value="{VOTABLE_MIME}"/></VALUES></PARAM>')


def service_descriptor(descriptor: CutoutDescriptor, soda_url: str) -> str:
    """The ``adhoc:service`` RESOURCE of one product's SODA cutout (DataLink 1.1 section 4)."""
    what = ("an image by sky region" if descriptor.kind == "image"
            else "a SOXS spectrum by wavelength")
    return "".join((
        f'<RESOURCE type="meta" utype="adhoc:service" ID="{escape(descriptor.ref)}" '
        f'name="{escape(descriptor.ref)}">',
        f"<DESCRIPTION>SODA 1.0 cutout of {what}</DESCRIPTION>",
        f'<PARAM name="standardID" datatype="char" arraysize="*" value="{SODA_SYNC_ID}"/>',
        f'<PARAM name="accessURL" datatype="char" arraysize="*" ucd="meta.ref.url" '
        f'value="{escape(soda_url)}"/>',
        '<GROUP name="inputParams">',
        '<PARAM name="ID" datatype="char" arraysize="*" ucd="meta.id;meta.dataset" '
        f'value="{escape(descriptor.product_id)}"/>',
        _input_params(descriptor),
        "</GROUP>",
        "</RESOURCE>",
    ))


def links_document(links: Sequence[Link], descriptors: Sequence[CutoutDescriptor],
                   soda_url: str, *, overflow: bool = False) -> bytes:
    """The complete links VOTable (TABLEDATA), ``QUERY_STATUS`` after the table.

    Parameters
    ----------
    links : sequence of Link
        The rows, already cut to MAXREC.
    descriptors : sequence of CutoutDescriptor
        Service descriptors referenced by the rows' ``service_def``.
    soda_url : str
        Access URL of the SODA sync endpoint.
    overflow : bool
        MAXREC cut the table: ``QUERY_STATUS`` is ``OVERFLOW``.
    """
    referenced = {link.service_def for link in links if link.service_def}
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<VOTABLE version="{VOTABLE_VERSION}" xmlns="{VOTABLE_NS}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{_SCHEMA}">',
        '<RESOURCE type="results">',
        '<INFO name="standardID" value="ivo://ivoa.net/std/DataLink#links-1.1"/>',
        '<TABLE name="links">',
        *(_field(*column) for column in COLUMNS),
        "<DATA><TABLEDATA>",
        *(_row(link) for link in links),
        "</TABLEDATA></DATA>",
        "</TABLE>",
        f'<INFO name="QUERY_STATUS" value="{"OVERFLOW" if overflow else "OK"}"/>',
        "</RESOURCE>",
        *(service_descriptor(d, soda_url) for d in descriptors if d.ref in referenced),
        "</VOTABLE>",
    ]
    return "\n".join(parts).encode("utf-8")
