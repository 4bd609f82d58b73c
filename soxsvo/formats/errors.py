"""DALI error documents and the exceptions of this package."""

from __future__ import annotations

from collections.abc import Iterable

from soxsvo.errors import InputError
from soxsvo.formats.info import Info
from soxsvo.formats.votable_xml import VOTABLE_NS, VOTABLE_VERSION, escape, info_xml

__all__ = ["UnknownFormatError", "error_document"]

_SCHEMA = "http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd"


class UnknownFormatError(InputError):
    """A RESPONSEFORMAT/FORMAT value no writer accepts.

    Attributes
    ----------
    value : str
        The rejected value.
    accepted : tuple of str
        Every accepted value, for the error message and DALI error document.
    """

    def __init__(self, value: str, accepted: Iterable[str]) -> None:
        self.value = value
        self.accepted = tuple(accepted)
        super().__init__(f"unsupported RESPONSEFORMAT {value!r}; accepted values: "
                         + ", ".join(self.accepted))


def error_document(message: str, *, query_status: str = "ERROR",
                   infos: Iterable[Info] = ()) -> bytes:
    """A DALI error VOTable: ``<INFO name="QUERY_STATUS" value="ERROR">message</INFO>``.

    Parameters
    ----------
    message : str
        Human-readable error text (escaped; XML-illegal characters replaced).
    query_status : str
        ``ERROR`` normally; DALI also allows e.g. ``OVERFLOW``.
    infos : iterable of Info
        Further INFOs of the results RESOURCE (query, request date...).

    Returns
    -------
    bytes
        The UTF-8 document, to be sent with status 400/500 as the protocol says.
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<VOTABLE version="{VOTABLE_VERSION}" xmlns="{VOTABLE_NS}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{_SCHEMA}">',
        '<RESOURCE type="results">',
        f'<INFO name="QUERY_STATUS" value="{escape(query_status)}">{escape(message)}</INFO>',
        *(info_xml(i) for i in infos),
        "</RESOURCE>",
        "</VOTABLE>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
