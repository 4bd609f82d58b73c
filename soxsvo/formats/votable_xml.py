"""The XML around the data: VOTable header, FIELDs, INFOs and footer.

Everything here is small text built with explicit escaping, so the header
can be sent before the first row is read and the footer (with the overflow
INFO) after the last one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from soxsvo.formats.fields import INT_NULLS, ColumnSpec
from soxsvo.formats.info import Info

__all__ = ["VOTABLE_VERSION", "document_head", "escape", "field_xml", "info_xml", "table_tail"]

VOTABLE_VERSION = "1.4"
#: VOTable 1.4 keeps the 1.3 namespace (IVOA XML versioning note).
VOTABLE_NS = "http://www.ivoa.net/xml/VOTable/v1.3"
_SCHEMA = "http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd"

# Characters XML 1.0 cannot carry at all, even escaped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape(text: str) -> str:
    """Escape ``text`` for XML content or a double-quoted attribute.

    Control characters that XML 1.0 forbids are replaced by U+FFFD: a
    database string may hold them, the document must still parse.
    """
    text = _ILLEGAL_XML.sub("\ufffd", text)
    return text.translate(_ESCAPES)


def _attrs(pairs: Iterable[tuple[str, str | None]]) -> str:
    return "".join(f' {k}="{escape(v)}"' for k, v in pairs if v is not None)


def info_xml(info: Info) -> str:
    """One INFO element."""
    head = f"<INFO{_attrs((('name', info.name), ('value', info.value)))}"
    if info.content is None:
        return head + "/>"
    return f"{head}>{escape(info.content)}</INFO>"


def field_xml(spec: ColumnSpec, *, int_null: bool = False) -> str:
    """One FIELD element, with DESCRIPTION and, if ``int_null``, a VALUES null.

    Parameters
    ----------
    spec : ColumnSpec
        The column.
    int_null : bool
        Declare the sentinel of integer columns as null (BINARY, which has no
        null flags).
    """
    meta = spec.meta
    attrs = _attrs((
        ("name", meta.name),
        ("datatype", meta.datatype),
        ("arraysize", spec.arraysize),
        ("xtype", meta.xtype),
        ("unit", meta.unit),
        ("ucd", meta.ucd),
        ("utype", meta.utype),
    ))
    body = []
    if meta.description:
        body.append(f"<DESCRIPTION>{escape(meta.description)}</DESCRIPTION>")
    if int_null and meta.datatype in INT_NULLS:
        body.append(f'<VALUES null="{INT_NULLS[meta.datatype]}"/>')
    if not body:
        return f"<FIELD{attrs}/>"
    return f"<FIELD{attrs}>{''.join(body)}</FIELD>"


def document_head(
    specs: Iterable[ColumnSpec],
    *,
    infos: Iterable[Info] = (),
    resource_infos: Iterable[Info] = (),
    query_status: str = "OK",
    table_name: str = "result",
    int_null: bool = False,
) -> str:
    """Everything up to and including the FIELDs of the results TABLE."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<VOTABLE version="{VOTABLE_VERSION}" xmlns="{VOTABLE_NS}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{_SCHEMA}">',
    ]
    lines += [info_xml(i) for i in infos]
    lines.append('<RESOURCE type="results">')
    # DALI: the status INFO precedes the TABLE.
    lines.append(info_xml(Info("QUERY_STATUS", query_status)))
    lines += [info_xml(i) for i in resource_infos]
    lines.append(f"<TABLE{_attrs((('name', table_name),))}>")
    lines += [field_xml(s, int_null=int_null) for s in specs]
    return "\n".join(lines) + "\n"


def table_tail(*, overflow: bool) -> str:
    """Close TABLE and RESOURCE, with the TAP 1.1 trailing OVERFLOW INFO if needed."""
    tail = "</TABLE>\n"
    if overflow:
        tail += info_xml(Info("QUERY_STATUS", "OVERFLOW")) + "\n"
    return tail + "</RESOURCE>\n</VOTABLE>\n"
