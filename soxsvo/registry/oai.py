"""OAI-PMH 2.0 over the registry records: verbs, their arguments, their errors, the answers.

The IVOA Registry Interface 1.0 profile: OAI identifiers are the IVOA identifiers, every
record is in the set ``ivo_managed``, ``ivo_vor`` disseminates ``ri:Resource`` and Identify
carries the registry's own record. All records fit in one answer, so no resumption token is
ever issued (one sent back is ``badResumptionToken``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from soxsvo.dali.vosi import element
from soxsvo.registry.records import NAMESPACES, Record

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MANAGED_SET = "ivo_managed"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
#: metadataPrefix -> (schema, namespace).
FORMATS = {
    "ivo_vor": ("http://www.ivoa.net/xml/RegistryInterface/v1.0", NAMESPACES["ri"]),
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
}
#: Each verb's required and optional arguments (besides ``verb``) and its exclusive one.
VERBS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}),
                        "resumptionToken"),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}),
                    "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
}


class OaiError(Exception):
    """An OAI-PMH error condition: its code (``badVerb``...) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Repository:
    """What the answers need: the records, the base URL and the Identify details."""

    base_url: str
    name: str
    publisher: str
    admin_email: str
    records: Sequence[Record]

    def registry_record(self) -> Record:
        return next(r for r in self.records if r.kind == "registry")


def _arguments(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in found:
            raise OaiError("badArgument", f"argument {name} is repeated")
        found[name] = value
    return found


def _check(verb: str, args: dict[str, str]) -> None:
    required, optional, exclusive = VERBS[verb]
    given = set(args) - {"verb"}
    if exclusive and exclusive in given:
        if given != {exclusive}:
            raise OaiError("badArgument", f"{exclusive} must be the only argument")
        raise OaiError("badResumptionToken", "this repository issues no resumption tokens")
    unknown = given - required - optional
    if unknown:
        raise OaiError("badArgument", f"{verb} does not take {', '.join(sorted(unknown))}")
    missing = required - given
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}")


def parse_date(name: str, text: str) -> tuple[datetime, bool]:
    """A ``from``/``until`` value and whether it has seconds granularity."""
    for form, fine in (("%Y-%m-%dT%H:%M:%SZ", True), ("%Y-%m-%d", False)):
        try:
            return datetime.strptime(text, form).replace(tzinfo=UTC), fine
        except ValueError:
            continue
    raise OaiError("badArgument", f"{name}={text!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def _selected(repo: Repository, args: dict[str, str]) -> list[Record]:
    if args["metadataPrefix"] not in FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       f"metadataPrefix {args['metadataPrefix']!r} is not one of "
                       + ", ".join(FORMATS))
    start = parse_date("from", args["from"]) if "from" in args else None
    end = parse_date("until", args["until"]) if "until" in args else None
    if start and end and start[1] != end[1]:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if start and end and start[0] > end[0]:
        raise OaiError("badArgument", "from is later than until")
    records = [r for r in repo.records if args.get("set", MANAGED_SET) == MANAGED_SET]
    if start:
        records = [r for r in records if _stamp(r) >= start[0]]
    if end:
        last = end[0] if end[1] else end[0].replace(hour=23, minute=59, second=59)
        records = [r for r in records if _stamp(r) <= last]
    if not records:
        raise OaiError("noRecordsMatch", "no record matches these arguments")
    return records


def _stamp(record: Record) -> datetime:
    return datetime.strptime(record.datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _header(record: Record) -> str:
    return (f"<header>{element('identifier', record.identifier)}"
            f"{element('datestamp', record.datestamp)}"
            f"{element('setSpec', MANAGED_SET)}</header>")


def dublin_core(record: Record, publisher: str) -> str:
    """The ``oai_dc`` form of ``record``."""
    return (f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}">'
            + element("dc:title", record.title) + element("dc:creator", publisher)
            + element("dc:description", record.description)
            + element("dc:publisher", publisher) + element("dc:date", record.datestamp[:10])
            + element("dc:type", record.kind) + element("dc:identifier", record.identifier)
            + "</oai_dc:dc>")


def _full_record(record: Record, prefix: str, publisher: str) -> str:
    metadata = record.vor if prefix == "ivo_vor" else dublin_core(record, publisher)
    return f"<record>{_header(record)}<metadata>{metadata}</metadata></record>"


def _find(repo: Repository, identifier: str) -> Record:
    for record in repo.records:
        if record.identifier == identifier:
            return record
    raise OaiError("idDoesNotExist", f"no record {identifier!r} here")


def _identify(repo: Repository, args: dict[str, str]) -> str:
    earliest = min(r.datestamp for r in repo.records)
    return ("<Identify>" + element("repositoryName", repo.name)
            + element("baseURL", repo.base_url) + "<protocolVersion>2.0</protocolVersion>"
            + element("adminEmail", repo.admin_email) + element("earliestDatestamp", earliest)
            + "<deletedRecord>no</deletedRecord>" + element("granularity", GRANULARITY)
            + f"<description>{repo.registry_record().vor}</description></Identify>")


def _list_formats(repo: Repository, args: dict[str, str]) -> str:
    if "identifier" in args:
        _find(repo, args["identifier"])
    formats = "".join(
        f"<metadataFormat>{element('metadataPrefix', prefix)}{element('schema', schema)}"
        f"{element('metadataNamespace', namespace)}</metadataFormat>"
        for prefix, (schema, namespace) in FORMATS.items())
    return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"


def _list_sets(repo: Repository, args: dict[str, str]) -> str:
    return (f"<ListSets><set>{element('setSpec', MANAGED_SET)}"
            "<setName>Resources managed by this registry</setName></set></ListSets>")


def _list_identifiers(repo: Repository, args: dict[str, str]) -> str:
    return ("<ListIdentifiers>" + "".join(_header(r) for r in _selected(repo, args))
            + "</ListIdentifiers>")


def _list_records(repo: Repository, args: dict[str, str]) -> str:
    prefix = args["metadataPrefix"]
    records = _selected(repo, args)
    return ("<ListRecords>" + "".join(_full_record(r, prefix, repo.publisher)
                                      for r in records) + "</ListRecords>")


def _get_record(repo: Repository, args: dict[str, str]) -> str:
    record = _find(repo, args["identifier"])
    if args["metadataPrefix"] not in FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       f"metadataPrefix {args['metadataPrefix']!r} is not one of "
                       + ", ".join(FORMATS))
    return (f"<GetRecord>{_full_record(record, args['metadataPrefix'], repo.publisher)}"
            "</GetRecord>")


ANSWERS = {"Identify": _identify, "ListMetadataFormats": _list_formats,
           "ListSets": _list_sets, "ListIdentifiers": _list_identifiers,
           "ListRecords": _list_records, "GetRecord": _get_record}


def _document(repo: Repository, request_attrs: dict[str, str], body: str,
              now: datetime) -> str:
    attrs = "".join(f" {name}={quoteattr(value)}" for name, value in request_attrs.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{NAMESPACES["xsi"]}" '
            f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
            + element("responseDate", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
            + f"<request{attrs}>{escape(repo.base_url)}</request>" + body + "</OAI-PMH>")


def answer(repo: Repository, pairs: Sequence[tuple[str, str]],
           now: datetime | None = None) -> str:
    """The OAI-PMH document answering the request arguments ``pairs`` (query and form).

    Errors are answers too (OAI-PMH 2.0 section 3.6): an ``<error code=...>`` element, the
    request echoed only when its verb and arguments were valid.
    """
    now = now or datetime.now(UTC)
    args: dict[str, str] = {}
    try:
        args = _arguments(pairs)
        verb = args.get("verb")
        if verb not in VERBS:
            raise OaiError("badVerb", "missing verb" if verb is None
                           else f"{verb!r} is not an OAI-PMH verb; use one of "
                           + ", ".join(VERBS))
        _check(verb, args)
        body = ANSWERS[verb](repo, args)
    except OaiError as error:
        body = _error(error)
        if error.code in ("badVerb", "badArgument"):
            args = {}
    return _document(repo, args, body, now)


def _error(error: OaiError) -> str:
    return f'<error code="{error.code}">{escape(str(error))}</error>'


def repository(settings, records: Sequence[Record]) -> Repository:
    """The repository of ``settings`` over ``records``."""
    reg = settings.registry
    return Repository(f"{settings.public_url}/oai", reg.title, reg.publisher, reg.contact_email,
                      records)
