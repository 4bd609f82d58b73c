"""VOSI 1.1 documents of the TAP service: its TAPRegExt capability and its tables.

Everything is generated: the tables from the column metadata (``soxsvo.db.metadata``), the
language features from the ADQL function registry (``soxsvo.adql.functions``), the output
formats from the writer registry (``soxsvo.formats``), the limits from the settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from soxsvo.dali.vosi import (
    VS,
    XML_HEAD,
    XSI,
    element,
    interface,
    vosi_capabilities,
)
from soxsvo.dali.vosi import (
    capabilities_document as vosi_document,
)
from soxsvo.db.metadata import ColumnMeta, SchemaMeta, TableMeta
from soxsvo.tap.schema import published_name

TR = 'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0"'
#: CASE, COALESCE and NULLIF work, but ADQL 2.1's feature type for them is unknown to STILTS
#: taplint 3.4.7 (an error there), so it is left out of capabilities; see docs/taplint.md.
UNDECLARED_FEATURE_TYPE = "#features-adql-conditional"




#: How a client may authenticate (IVOA SSO): HTTP Basic with the login and an API token as
#: password, and the API token as ``Authorization: Bearer`` (the ``#token`` method of the SSO
#: draft that succeeds SSO 2.0). Anonymous access needs none; all share one set of endpoints.
SECURITY_METHODS = ("ivo://ivoa.net/sso#BasicAA", "ivo://ivoa.net/sso#token")




def _tap_interfaces(base_url: str) -> str:
    """TAP 1.1 section 2: one interface per way of authenticating, anonymous first."""
    return "".join(interface(f"{base_url}/tap", role="std", use="base", version="1.1",
                              security=method)
                   for method in (None, *SECURITY_METHODS))


def _language_features() -> str:
    from soxsvo.adql.functions import LANGUAGE_FEATURES

    by_type: dict[str, list[tuple[str, str]]] = {}
    for type_id, form, description in LANGUAGE_FEATURES:
        if type_id.endswith(UNDECLARED_FEATURE_TYPE):
            continue
        by_type.setdefault(type_id, []).append((form, description))
    parts = []
    for type_id, features in by_type.items():
        items = "".join(
            f"<feature>{element('form', form)}{element('description', text)}</feature>"
            for form, text in features
        )
        parts.append(f"<languageFeatures type={quoteattr(type_id)}>{items}</languageFeatures>")
    return "".join(parts)


def _output_formats() -> str:
    from soxsvo.formats import WRITERS

    parts = []
    for fmt in WRITERS:
        ivo_id = f" ivo-id={quoteattr(fmt.ivo_id)}" if getattr(fmt, "ivo_id", None) else ""
        aliases = "".join(element("alias", alias) for alias in fmt.aliases)
        parts.append(f"<outputFormat{ivo_id}>{element('mime', fmt.mime_type)}{aliases}"
                     "</outputFormat>")
    return "".join(parts)


def _limit(tag: str, default: int | None, hard: int, unit: str | None = None) -> str:
    unit_attr = f' unit="{unit}"' if unit else ""
    default_part = f"<default{unit_attr}>{default}</default>" if default is not None else ""
    return f"<{tag}>{default_part}<hard{unit_attr}>{hard}</hard></{tag}>"


def tap_capability(base_url: str, settings) -> str:
    """The TAPRegExt ``<capability>`` of ``{base_url}/tap`` (VOSI and the registry's record)."""
    tap, query = settings.tap, settings.query
    retention = tap.retention_days * 86400
    return (
        '<capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">'
        + _tap_interfaces(base_url)
        + '<dataModel ivo-id="ivo://ivoa.net/std/ObsCore#core-1.1">ObsCore-1.1</dataModel>'
        + "<language><name>ADQL</name>"
        + '<version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0</version>'
        + '<version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>'
        + "<description>ADQL 2.1 translated to PostgreSQL with q3c; positions are "
          "q3c-indexed.</description>"
        + _language_features() + "</language>"
        + _output_formats()
        + '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>'
        + '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>'
        + _limit("retentionPeriod", retention, retention)
        + _limit("executionDuration", query.sync_timeout, query.async_timeout)
        + _limit("outputLimit", tap.maxrec_default, tap.maxrec_hard, "row")
        + _limit("uploadLimit", None, tap.upload_max_bytes, "byte")
        + "</capability>"
    )


def capabilities_document(base_url: str, settings, also: Iterable[str] = ()) -> str:
    """The VOSI capabilities of the service rooted at ``base_url``; ``also``: capabilities
    of services beside TAP at the same root (SSA), listed for registries and TOPCAT."""
    vosi = vosi_capabilities(f"{base_url}/tap", (("capabilities", "capabilities"),
                                                  ("availability", "availability"),
                                                  ("tables-1.1", "tables")))
    examples = ('<capability standardID="ivo://ivoa.net/std/DALI#examples">'
                + interface(f"{base_url}/tap/examples") + "</capability>")
    return vosi_document((tap_capability(base_url, settings), vosi, examples, *also), TR)


def _column_xml(col: ColumnMeta) -> str:
    type_attrs = f' arraysize="{col.arraysize}"' if col.arraysize else ""
    type_attrs += f" extendedType={quoteattr(col.xtype)}" if col.xtype else ""
    flags = "<flag>indexed</flag>" if col.indexed else ""
    flags += "<flag>primary</flag>" if col.principal else ""
    std = ' std="true"' if col.std else ""
    return (f"<column{std}>{element('name', published_name(col.name))}"
            f"{element('description', col.description)}"
            f"{element('unit', col.unit)}{element('ucd', col.ucd)}{element('utype', col.utype)}"
            f'<dataType xsi:type="vs:VOTableType"{type_attrs}>{col.datatype}</dataType>'
            f"{flags}</column>")


def _table_xml(table: TableMeta, tag: str = "table", namespaces: str = "",
               detail: bool = True) -> str:
    body = element("name", table.qualified_name) + element("description", table.description)
    body += element("utype", table.utype)
    if detail:
        body += "".join(_column_xml(col) for col in table.columns)
        for key in table.foreign_keys:
            pairs = "".join(
                f"<fkColumn>{element('fromColumn', a)}{element('targetColumn', b)}</fkColumn>"
                for a, b in zip(key.from_columns, key.target_columns, strict=True)
            )
            body += (f"<foreignKey>{element('targetTable', key.target_table)}{pairs}"
                     f"{element('description', key.description)}</foreignKey>")
    return f'<{tag}{namespaces} type="{table.table_type}">{body}</{tag}>'


def table_element(table: TableMeta) -> str:
    """The VODataService ``<table>`` of ``table`` with its columns (for registry records)."""
    return _table_xml(table)


def tableset_document(tables: tuple[TableMeta, ...], published: tuple[SchemaMeta, ...],
                      detail: bool = True) -> str:
    """VOSI tables: every published schema and table (columns unless ``detail`` is False).

    Parameters
    ----------
    tables : tuple of TableMeta
        The published tables (:func:`soxsvo.db.metadata.all_tables`).
    published : tuple of SchemaMeta
        The schemas TAP_SCHEMA lists (:func:`soxsvo.db.metadata.published_schemas`).
    detail : bool
        Whether to list the columns.
    """
    schemas = []
    for schema in published:
        members = "".join(_table_xml(t, detail=detail) for t in tables if t.schema == schema.name)
        schemas.append(f"<schema>{element('name', schema.name)}"
                       f"{element('description', schema.description)}{members}</schema>")
    return (XML_HEAD + f'<vosi:tableset xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" '
            f"{XSI} {VS}>" + "".join(schemas) + "</vosi:tableset>")


def table_document(table: TableMeta) -> str:
    """VOSI 1.1 single-table document (``tables/{name}``)."""
    namespaces = f' xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" {XSI} {VS}'
    return XML_HEAD + _table_xml(table, tag="vosi:table", namespaces=namespaces)
