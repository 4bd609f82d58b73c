"""UWS 1.1 XML documents: the job list, a job, its results and its parameters.

Elements come in the order of the UWS 1.1 schema's sequences (``JobSummary``,
``ShortJobDescription``); nillable elements without a value are written with ``xsi:nil``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from soxsvo.tap.uws.jobs import Job

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{UWS_NS} http://www.ivoa.net/xml/UWS/UWS-v1.1.xsd"
UWS_VERSION = "1.1"
XML_MIME = "text/xml"

ET.register_namespace("uws", UWS_NS)
ET.register_namespace("xlink", XLINK_NS)
ET.register_namespace("xsi", XSI_NS)


def _q(name: str, ns: str = UWS_NS) -> str:
    return f"{{{ns}}}{name}"


def iso_time(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the millisecond, as UWS clients parse it."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _child(parent: ET.Element, name: str, text: str | None, *, nillable: bool = False
           ) -> ET.Element | None:
    if text is None and not nillable:
        return None
    element = ET.SubElement(parent, _q(name))
    if text is None:
        element.set(_q("nil", XSI_NS), "true")
    else:
        element.text = text
    return element


def _root(name: str) -> ET.Element:
    root = ET.Element(_q(name), {"version": UWS_VERSION})
    root.set(_q("schemaLocation", XSI_NS), SCHEMA_LOCATION)
    return root


def _link(element: ET.Element, href: str) -> None:
    element.set(_q("type", XLINK_NS), "simple")
    element.set(_q("href", XLINK_NS), href)


def _serialise(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def job_list_document(job_list: Iterable[Job], base_url: str) -> bytes:
    """``uws:jobs``: one ``uws:jobref`` per job with phase, runId, ownerId and creationTime."""
    root = _root("jobs")
    for job in job_list:
        ref = ET.SubElement(root, _q("jobref"), {"id": job.job_id})
        _link(ref, f"{base_url}/{job.job_id}")
        _child(ref, "phase", job.phase)
        _child(ref, "runId", job.run_id)
        _child(ref, "ownerId", job.owner, nillable=True)
        _child(ref, "creationTime", iso_time(job.creation_time))
    return _serialise(root)


def _parameters(parent: ET.Element, job: Job) -> ET.Element:
    element = ET.SubElement(parent, _q("parameters"))
    for name, value in job.parameters:
        # Lower-case ids: what TAP clients look for (pyvo reads the query as id="query").
        parameter = ET.SubElement(element, _q("parameter"), {"id": name.lower()})
        parameter.text = value
    return element


def _results(parent: ET.Element, job: Job, job_url: str) -> ET.Element:
    element = ET.SubElement(parent, _q("results"))
    for result in job.results:
        ref = ET.SubElement(element, _q("result"), {"id": result.result_id})
        _link(ref, f"{job_url}/results/{result.result_id}")
        ref.set("size", str(result.size))
        ref.set("mime-type", result.mime_type)
    return element


def job_document(job: Job, job_url: str) -> bytes:
    """The full ``uws:job`` (UWS 1.1 ``JobSummary``)."""
    root = _root("job")
    _child(root, "jobId", job.job_id)
    _child(root, "runId", job.run_id)
    _child(root, "ownerId", job.owner, nillable=True)
    _child(root, "phase", job.phase)
    _child(root, "quote", iso_time(job.quote), nillable=True)
    _child(root, "creationTime", iso_time(job.creation_time))
    _child(root, "startTime", iso_time(job.start_time), nillable=True)
    _child(root, "endTime", iso_time(job.end_time), nillable=True)
    _child(root, "executionDuration", str(job.execution_duration))
    _child(root, "destruction", iso_time(job.destruction), nillable=True)
    _parameters(root, job)
    _results(root, job, job_url)
    if job.phase == "ERROR" and job.error_summary:
        summary = ET.SubElement(root, _q("errorSummary"),
                                {"type": job.error_type or "fatal", "hasDetail": "true"})
        _child(summary, "message", job.error_summary)
    return _serialise(root)


def results_document(job: Job, job_url: str) -> bytes:
    """``uws:results`` of a job."""
    holder = ET.Element("holder")
    return _serialise(_results(holder, job, job_url))


def parameters_document(job: Job) -> bytes:
    """``uws:parameters`` of a job."""
    holder = ET.Element("holder")
    return _serialise(_parameters(holder, job))
