"""VOSI 1.1 documents of the TAP service: capabilities, availability and tables.

Everything is generated: the tables from the column metadata (``soxsvo.db.metadata``), the
language features from the ADQL function registry (``soxsvo.adql.functions``), the output
formats from the writer registry (``soxsvo.formats``), the limits from the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import psycopg

from soxsvo.db.metadata import ColumnMeta, TableMeta, published_tables
from soxsvo.ssa.capability import ssa_capability
from soxsvo.tap.schema import published_name

XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
VS = 'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"'
VR = 'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0"'
TR = 'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0"'
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
#: CASE, COALESCE and NULLIF work, but ADQL 2.1's feature type for them is unknown to STILTS
#: taplint 3.4.7 (an error there), so it is left out of capabilities; see docs/taplint.md.
UNDECLARED_FEATURE_TYPE = "#features-adql-conditional"


def _element(tag: str, text: str | None, **attributes: str) -> str:
    if text is None:
        return ""
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


#: How a client may authenticate (IVOA SSO): HTTP Basic with the login and an API token as
#: password, and the API token as ``Authorization: Bearer`` (the ``#token`` method of the SSO
#: draft that succeeds SSO 2.0). Anonymous access needs none; all share one set of endpoints.
SECURITY_METHODS = ("ivo://ivoa.net/sso#BasicAA", "ivo://ivoa.net/sso#token")


def _interface(url: str, role: str | None = None, use: str = "full",
               version: str | None = None, security: str | None = None) -> str:
    attrs = ' role="std"' if role else ""
    attrs += f' version="{version}"' if version else ""
    method = f"<securityMethod standardID={quoteattr(security)}/>" if security else ""
    return (f'<interface xsi:type="vs:ParamHTTP"{attrs}>'
            f'<accessURL use="{use}">{escape(url)}</accessURL>{method}</interface>')


def _tap_interfaces(base_url: str) -> str:
    """TAP 1.1 section 2: one interface per way of authenticating, anonymous first."""
    return "".join(_interface(f"{base_url}/tap", role="std", use="base", version="1.1",
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
            f"<feature>{_element('form', form)}{_element('description', text)}</feature>"
            for form, text in features
        )
        parts.append(f"<languageFeatures type={quoteattr(type_id)}>{items}</languageFeatures>")
    return "".join(parts)


def _output_formats() -> str:
    from soxsvo.formats import WRITERS

    parts = []
    for fmt in WRITERS:
        ivo_id = f" ivo-id={quoteattr(fmt.ivo_id)}" if getattr(fmt, "ivo_id", None) else ""
        aliases = "".join(_element("alias", alias) for alias in fmt.aliases)
        parts.append(f"<outputFormat{ivo_id}>{_element('mime', fmt.mime_type)}{aliases}"
                     "</outputFormat>")
    return "".join(parts)


def _limit(tag: str, default: int | None, hard: int, unit: str | None = None) -> str:
    unit_attr = f' unit="{unit}"' if unit else ""
    default_part = f"<default{unit_attr}>{default}</default>" if default is not None else ""
    return f"<{tag}>{default_part}<hard{unit_attr}>{hard}</hard></{tag}>"


def capabilities_document(base_url: str, settings) -> str:
    """The VOSI capabilities of the service rooted at ``base_url``."""
    tap, query = settings.tap, settings.query
    retention = tap["retention_days"] * 86400
    tap_capability = (
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
        + _limit("executionDuration", query["sync_timeout"], query["async_timeout"])
        + _limit("outputLimit", tap["maxrec_default"], tap["maxrec_hard"], "row")
        + _limit("uploadLimit", None, tap["upload_max_bytes"], "byte")
        + "</capability>"
    )
    vosi = "".join(
        f'<capability standardID="ivo://ivoa.net/std/VOSI#{name}">'
        + _interface(f"{base_url}/tap/{path}") + "</capability>"
        for name, path in (("capabilities", "capabilities"), ("availability", "availability"),
                           ("tables-1.1", "tables"))
    )
    examples = ('<capability standardID="ivo://ivoa.net/std/DALI#examples">'
                + _interface(f"{base_url}/tap/examples") + "</capability>")
    # The spectra of ObsCore are also served by SSA from the same root; its full capability
    # (with the SSA extension) is at /ssa/capabilities, see ssa_capability for why not here.
    ssa = ssa_capability(base_url, settings.ssa, extension=False)
    return (XML_HEAD
            + '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
            f"{XSI} {VR} {VS} {TR}>" + tap_capability + vosi + examples + ssa
            + "</vosi:capabilities>")


def availability_document(available: bool, note: str) -> str:
    """VOSI availability: whether the service (and its database) answers now."""
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (XML_HEAD
            + '<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">'
            f"<vosi:available>{'true' if available else 'false'}</vosi:available>"
            f"<vosi:upSince>{started}</vosi:upSince>"
            f"<vosi:note>{escape(note)}</vosi:note></vosi:availability>")


def database_availability(
        connect: Callable[[], AbstractContextManager[psycopg.Connection]]) -> str:
    """VOSI availability of a service that needs its database: true when the database answers.

    Parameters
    ----------
    connect : callable
        Gives a connection as a context manager (the web pool's ``connection``).
    """
    try:
        with connect() as conn:
            conn.execute("SELECT 1")
            conn.rollback()
    except (psycopg.Error, OSError) as exc:
        return availability_document(False, f"database unavailable: {exc}")
    return availability_document(True, "the service and its database are up")


def _column_xml(col: ColumnMeta) -> str:
    type_attrs = f' arraysize="{col.arraysize}"' if col.arraysize else ""
    type_attrs += f" extendedType={quoteattr(col.xtype)}" if col.xtype else ""
    flags = "<flag>indexed</flag>" if col.indexed else ""
    flags += "<flag>primary</flag>" if col.principal else ""
    std = ' std="true"' if col.std else ""
    return (f"<column{std}>{_element('name', published_name(col.name))}"
            f"{_element('description', col.description)}"
            f"{_element('unit', col.unit)}{_element('ucd', col.ucd)}{_element('utype', col.utype)}"
            f'<dataType xsi:type="vs:VOTableType"{type_attrs}>{col.datatype}</dataType>'
            f"{flags}</column>")


def _table_xml(table: TableMeta, tag: str = "table", namespaces: str = "",
               detail: bool = True) -> str:
    body = _element("name", table.qualified_name) + _element("description", table.description)
    body += _element("utype", table.utype)
    if detail:
        body += "".join(_column_xml(col) for col in table.columns)
        for key in table.foreign_keys:
            pairs = "".join(
                f"<fkColumn>{_element('fromColumn', a)}{_element('targetColumn', b)}</fkColumn>"
                for a, b in zip(key.from_columns, key.target_columns, strict=True)
            )
            body += (f"<foreignKey>{_element('targetTable', key.target_table)}{pairs}"
                     f"{_element('description', key.description)}</foreignKey>")
    return f'<{tag}{namespaces} type="{table.table_type}">{body}</{tag}>'


def tableset_document(detail: bool = True) -> str:
    """VOSI tables: every published schema and table (columns unless ``detail`` is False)."""
    from soxsvo.db.metadata import PUBLISHED_SCHEMAS

    tables = published_tables()
    schemas = []
    for schema in PUBLISHED_SCHEMAS:
        members = "".join(_table_xml(t, detail=detail) for t in tables if t.schema == schema.name)
        schemas.append(f"<schema>{_element('name', schema.name)}"
                       f"{_element('description', schema.description)}{members}</schema>")
    return (XML_HEAD + f'<vosi:tableset xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" '
            f"{XSI} {VS}>" + "".join(schemas) + "</vosi:tableset>")


def table_document(table: TableMeta) -> str:
    """VOSI 1.1 single-table document (``tables/{name}``)."""
    namespaces = f' xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" {XSI} {VS}'
    return XML_HEAD + _table_xml(table, tag="vosi:table", namespaces=namespaces)
