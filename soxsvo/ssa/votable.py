"""The SSA additions to the shared streaming VOTable writers.

SSA documents need what TAP results do not: PARAMs in the results table, FIELD IDs (a DataLink
service descriptor refers to the publisher DID column by ID), a table utype, and a trailing
``<RESOURCE type="meta">``. The shared writers guarantee that their first chunk is the whole
head (up to the opened DATA) and their last chunk the whole tail; :func:`annotate` inserts the
additions there, so the rows still stream through the shared encoders untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from soxsvo.formats.votable_xml import escape

_FIELD = re.compile(r'<FIELD name="([^"]+)"')
_TABLE = re.compile(r"<TABLE( [^>]*)?>")
_RESULTS_END = "</RESOURCE>\n</VOTABLE>"


@dataclass(frozen=True)
class Param:
    """A VOTable PARAM (``ref`` points at a FIELD ID, as in DataLink service descriptors)."""

    name: str
    value: str
    datatype: str = "char"
    arraysize: str | None = None
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    ref: str | None = None
    description: str | None = None
    options: tuple[str, ...] = ()
    id: str | None = None

    def xml(self) -> str:
        """The PARAM element."""
        attrs = [("ID", self.id), ("name", self.name), ("datatype", self.datatype),
                 ("arraysize", self.arraysize or ("*" if self.datatype == "char" else None)),
                 ("unit", self.unit), ("ucd", self.ucd), ("utype", self.utype),
                 ("ref", self.ref), ("value", self.value)]
        head = "<PARAM" + "".join(f' {k}="{escape(v)}"' for k, v in attrs if v is not None)
        body = ""
        if self.description:
            body += f"<DESCRIPTION>{escape(self.description)}</DESCRIPTION>"
        if self.options:
            body += "<VALUES>" + "".join(f'<OPTION value="{escape(o)}"/>'
                                         for o in self.options) + "</VALUES>"
        return f"{head}>{body}</PARAM>" if body else head + "/>"


def service_descriptor(name: str, standard_id: str, access_url: str, id_ref: str,
                       description: str) -> str:
    """A DataLink 1.1 service descriptor whose ID parameter takes the values of column
    ``id_ref`` (pyvo's ``iter_datalinks`` and TOPCAT follow it)."""
    params = [Param("standardID", standard_id), Param("accessURL", access_url),
              Param("contentType", "application/x-votable+xml;content=datalink")]
    id_param = Param("ID", "", ref=id_ref, ucd="meta.id;meta.main")
    return (f'<RESOURCE type="meta" utype="adhoc:service" name="{escape(name)}">'
            f"<DESCRIPTION>{escape(description)}</DESCRIPTION>"
            + "".join(p.xml() for p in params)
            + f'<GROUP name="inputParams">{id_param.xml()}</GROUP></RESOURCE>\n')


def annotate(chunks: Iterable[bytes], *, params: Iterable[Param] = (),
             table_utype: str | None = None, trailing_resources: Iterable[str] = (),
             resource_params: Iterable[Param] = ()) -> Iterator[bytes]:
    """Add FIELD IDs (each column's name), PARAMs and resources to a writer's stream.

    Parameters
    ----------
    chunks : iterable of bytes
        The output of a VOTable writer's ``stream``.
    params : iterable of Param
        PARAMs put at the start of the results TABLE.
    table_utype : str, optional
        utype of the results TABLE (``spec2:Spectrum`` for SDM spectra).
    trailing_resources : iterable of str
        RESOURCE elements put after the results RESOURCE (service descriptors).
    resource_params : iterable of Param
        PARAMs of the results RESOURCE, before its TABLE (``INPUT:`` parameters).
    """
    iterator = iter(chunks)
    head = next(iterator).decode("utf-8")
    head = _FIELD.sub(lambda m: f'<FIELD ID="{m.group(1)}" name="{m.group(1)}"', head)
    table = _TABLE.search(head)
    if table is None:
        raise ValueError("the writer's first chunk holds no TABLE element")
    opening = table.group(0)
    if table_utype:
        opening = opening[:-1] + f' utype="{escape(table_utype)}">'
    opening += "".join(p.xml() for p in params)
    before = "".join(p.xml() + "\n" for p in resource_params)
    head = head[:table.start()] + before + opening + head[table.end():]
    previous = head.encode("utf-8")
    for chunk in iterator:
        yield previous
        previous = chunk
    tail = previous.decode("utf-8")
    extra = "".join(trailing_resources)
    if extra:
        if _RESULTS_END not in tail:
            raise ValueError("the writer's last chunk does not close the results RESOURCE")
        tail = tail.replace(_RESULTS_END, "</RESOURCE>\n" + extra + "</VOTABLE>")
    yield tail.encode("utf-8")
