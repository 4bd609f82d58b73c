"""VOSI 1.1 for every DAL service: capabilities documents, interfaces, availability.

Each protocol says what its own ``<capability>`` holds (TAP's TAPRegExt, SSA's
``ssa:SimpleSpectralAccess``); the document around it, the ``ParamHTTP`` interfaces, the VOSI
resources of a service and its availability are written here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import psycopg

XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
VS = 'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"'
VR = 'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0"'
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
CAPABILITIES_NS = 'xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"'


def element(tag: str, text: str | None, **attributes: str) -> str:
    """``<tag attrs>text</tag>`` escaped, or nothing when ``text`` is None."""
    if text is None:
        return ""
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


def interface(url: str, role: str | None = None, use: str = "full",
              version: str | None = None, security: str | None = None) -> str:
    """A ``vs:ParamHTTP`` interface at ``url`` (``role="std"`` for a standard interface)."""
    attrs = ' role="std"' if role else ""
    attrs += f' version="{version}"' if version else ""
    method = f"<securityMethod standardID={quoteattr(security)}/>" if security else ""
    return (f'<interface xsi:type="vs:ParamHTTP"{attrs}>'
            f'<accessURL use="{use}">{escape(url)}</accessURL>{method}</interface>')


def capability(standard_id: str, url: str, role: str | None = None) -> str:
    """A plain capability: a standard and one interface."""
    return (f"<capability standardID={quoteattr(standard_id)}>{interface(url, role=role)}"
            "</capability>")


def vosi_capabilities(service_url: str, resources: Iterable[tuple[str, str]]) -> str:
    """The VOSI resources of the service at ``service_url``: (name, path) pairs such as
    ``("capabilities", "capabilities")``, ``("tables-1.1", "tables")``."""
    return "".join(capability(f"ivo://ivoa.net/std/VOSI#{name}", f"{service_url}/{path}")
                   for name, path in resources)


def capabilities_document(capabilities: Iterable[str], namespaces: str = "") -> str:
    """A VOSI capabilities document holding ``capabilities`` (extra ``namespaces`` declared
    for their extension types, e.g. TAPRegExt's ``tr:``)."""
    extra = f" {namespaces}" if namespaces else ""
    return (XML_HEAD + f"<vosi:capabilities {CAPABILITIES_NS} {XSI} {VR} {VS}{extra}>"
            + "".join(capabilities) + "</vosi:capabilities>")


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
