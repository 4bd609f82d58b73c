"""VOResource 1.1 records of the archive: its authority, its registry, each service and the
ObsCore collection, as the registry interface publishes them.

Each service's ``<capability>`` is the one its VOSI capabilities document carries (declared
once, in the service's package); the rest of each record comes from ``[registry]`` settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from soxsvo.dali.vosi import element, interface, vosi_capabilities
from soxsvo.db.metadata import TableMeta, find_table
from soxsvo.db.metadata import table as published_table
from soxsvo.scs.capability import cone_capability
from soxsvo.scs.capability import service_url as cone_url
from soxsvo.scs.tables import cone_tables
from soxsvo.sia.capability import sia_capability
from soxsvo.ssa.capability import ssa_capability
from soxsvo.tap.vosi import table_element, tap_capability

NAMESPACES = {
    "ri": "http://www.ivoa.net/xml/RegistryInterface/v1.0",
    "vr": "http://www.ivoa.net/xml/VOResource/v1.0",
    "vs": "http://www.ivoa.net/xml/VODataService/v1.1",
    "vg": "http://www.ivoa.net/xml/VORegistry/v1.0",
    "tr": "http://www.ivoa.net/xml/TAPRegExt/v1.0",
    "cs": "http://www.ivoa.net/xml/ConeSearch/v1.0",
    "ssa": "http://www.ivoa.net/xml/SSA/v1.1",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
#: Most records one ListRecords answer holds (all of them: there is no resumption token).
MAX_RECORDS = 1000
SUBJECTS = ("Spectroscopy", "Transient sources", "Supernovae", "Astronomical techniques")
FACILITY, INSTRUMENT = "ESO-NTT", "SOXS"


@dataclass(frozen=True)
class Record:
    """One resource of the registry interface.

    Attributes
    ----------
    identifier : str
        The IVOA identifier, also the record's OAI identifier.
    datestamp : str
        When the record last changed (``YYYY-MM-DDThh:mm:ssZ``).
    title, description, kind : str
        What Dublin Core says of it (``kind``: ``service``, ``collection``, ``authority``...).
    vor : str
        The ``<ri:Resource>`` element.
    """

    identifier: str
    datestamp: str
    title: str
    description: str
    kind: str
    vor: str


@dataclass(frozen=True)
class Site:
    """What every record shares: URLs, identifiers and curation from the settings."""

    base_url: str
    resource_prefix: str
    authority: str
    settings: object

    @classmethod
    def from_settings(cls, settings) -> Site:
        archive_authority = settings.archive.authority.strip("/")
        authority = settings.registry.authority or archive_authority.split("/")[0]
        return cls(settings.public_url, f"ivo://{archive_authority}", authority, settings)

    def ivoid(self, key: str) -> str:
        return f"{self.resource_prefix}/{key}"

    @property
    def datestamp(self) -> str:
        return f"{self.settings.registry.updated}T00:00:00Z"


def _curation(site: Site) -> str:
    reg = site.settings.registry
    return ("<curation>" + element("publisher", reg.publisher)
            + f"<contact>{element('name', reg.contact_name)}"
            + f"{element('email', reg.contact_email)}</contact></curation>")


def _content(site: Site, description: str, kind: str,
             relationships: Iterable[tuple[str, str, str]] = ()) -> str:
    reference = site.settings.registry.reference_url or f"{site.base_url}/"
    related = "".join(
        f"<relationship>{element('relationshipType', rel)}"
        f"{element('relatedResource', name, **{'ivo-id': ivoid})}</relationship>"
        for rel, ivoid, name in relationships)
    return ("<content>" + "".join(element("subject", s) for s in SUBJECTS)
            + element("description", description) + element("referenceURL", reference)
            + element("type", kind) + element("contentLevel", "Research") + related
            + "</content>")


def _resource(site: Site, xsi_type: str, key: str | None, title: str, body: str) -> str:
    reg = site.settings.registry
    declarations = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NAMESPACES.items())
    identifier = site.ivoid(key) if key else f"ivo://{site.authority}"
    # xmlns="": VOResource's elements are unqualified, also inside OAI-PMH's default namespace.
    return (f'<ri:Resource xmlns="" {declarations} xsi:type="{xsi_type}" '
            f'created="{reg.created}T00:00:00Z" updated="{reg.updated}T00:00:00Z" '
            f'status="active">' + element("title", title)
            + element("identifier", identifier) + body + "</ri:Resource>")


def _record(site: Site, xsi_type: str, key: str | None, title: str, description: str,
            kind: str, tail: str, content_type: str = "Archive",
            relationships: Iterable[tuple[str, str, str]] = ()) -> Record:
    body = (_curation(site) + _content(site, description, content_type, relationships)
            + tail)
    identifier = site.ivoid(key) if key else f"ivo://{site.authority}"
    return Record(identifier, site.datestamp, title, description, kind,
                  _resource(site, xsi_type, key, title, body))


def _data_service_tail(capabilities: str, tables: str = "") -> str:
    """What follows ``content`` in a ``vs:CatalogService``: capabilities, facility,
    instrument and an optional tableset."""
    tableset = f"<tableset><schema>{tables}</schema></tableset>" if tables else ""
    return (capabilities + element("facility", FACILITY) + element("instrument", INSTRUMENT)
            + tableset)


def _tables(names: Iterable[str], tables: tuple[TableMeta, ...] | None = None) -> str:
    """The VODataService tableset body of the tables ``names``, looked up in ``tables`` (the
    built-in ones when not given)."""
    metas = [published_table(name) if tables is None else find_table(tables, name)
             for name in names]
    schema = metas[0].schema
    return element("name", schema) + "".join(table_element(m) for m in metas)


def authority_record(site: Site) -> Record:
    """The naming authority the archive's identifiers live under."""
    publisher = site.settings.registry.publisher
    return _record(site, "vg:Authority", None, f"{publisher} naming authority",
                   f"The IVOA naming authority of {publisher}: identifiers of the "
                   f"{site.settings.registry.title} services and data.", "authority",
                   element("managingOrg", publisher), content_type="Other")


def registry_record(site: Site) -> Record:
    """The publishing registry itself (OAI-PMH at ``/oai``)."""
    url = f"{site.base_url}/oai"
    harvest = ('<capability standardID="ivo://ivoa.net/std/Registry" xsi:type="vg:Harvest">'
               f'<interface xsi:type="vg:OAIHTTP" role="std" version="1.0">'
               f'<accessURL use="base">{url}</accessURL></interface>'
               f"<maxRecords>{MAX_RECORDS}</maxRecords></capability>")
    tail = harvest + "<full>false</full>" + element("managedAuthority", site.authority)
    return _record(site, "vg:Registry", "registry",
                   f"{site.settings.registry.title} publishing registry",
                   "The OAI-PMH interface through which the IVOA registry harvests the "
                   "records of this archive's services and data collections.", "registry",
                   tail, content_type="Registry")


def _service(site: Site, key: str, title: str, description: str, capabilities: str,
             tables: str = "") -> Record:
    collection = (("IsServiceFor", site.ivoid("obscore"), "SOXS ObsCore collection"),)
    return _record(site, "vs:CatalogService", key, title, description, "service",
                   _data_service_tail(capabilities, tables), relationships=collection)


def service_records(site: Site, tables: tuple[TableMeta, ...] | None = None) -> list[Record]:
    """TAP, SSA, SIA and one cone search per table with a position among ``tables`` (every
    published table, :func:`soxsvo.db.metadata.all_tables`; the built-in ones when not
    given)."""
    base, settings, title = site.base_url, site.settings, site.settings.registry.title
    vosi = vosi_capabilities
    records = [
        _service(site, "tap", f"{title} TAP service",
                 "ADQL queries over every published table of the archive: ObsCore 1.1 "
                 "products (spectra, images), observations, raw frames, provenance and the "
                 "Marshall's transients.",
                 tap_capability(base, settings)
                 + vosi(f"{base}/tap", (("capabilities", "capabilities"),
                                        ("availability", "availability"),
                                        ("tables-1.1", "tables")))),
        _service(site, "ssa", f"{title} spectra (SSA)",
                 "Simple Spectral Access 1.1 to the reduced SOXS spectra (UV-VIS, NIR and "
                 "merged) as ESO Phase 3 FITS or Spectrum Data Model VOTables.",
                 ssa_capability(base, settings.ssa)),
        _service(site, "sia", f"{title} images (SIA 2)",
                 "Simple Image Access 2.0 to the SOXS acquisition-camera images, with "
                 "DataLink to each file.", sia_capability(base)),
    ]
    for table in cone_tables(tables):
        records.append(_service(
            site, f"scs/{table.name}", f"{title} cone search of {table.name}",
            f"Simple Cone Search 1.03 over {table.name}: {table.meta.description}",
            cone_capability(base, table, settings.scs)
            + vosi(cone_url(base, table), (("capabilities", "capabilities"),
                                           ("availability", "availability"))),
            _tables([table.name], tables)))
    return records


def obscore_record(site: Site) -> Record:
    """The ObsCore collection: every SOXS product, queryable through TAP."""
    aux = ('<capability standardID="ivo://ivoa.net/std/TAP#aux">'
           + interface(f"{site.base_url}/tap", role="std", use="base") + "</capability>")
    title = site.settings.registry.title
    served = (("IsServedBy", site.ivoid("tap"), f"{title} TAP service"),
              ("IsServedBy", site.ivoid("ssa"), f"{title} spectra (SSA)"),
              ("IsServedBy", site.ivoid("sia"), f"{title} images (SIA 2)"))
    return _record(site, "vs:CatalogResource", "obscore", "SOXS ObsCore collection",
                   published_table("ivoa.obscore").description, "collection",
                   _data_service_tail(aux, _tables(["ivoa.obscore"])),
                   content_type="Catalog", relationships=served)


def spectra_record(site: Site) -> Record:
    """The spectra collection: the reduced SOXS spectra, found through SSA (and ObsCore)."""
    title = site.settings.registry.title
    served = (("IsServedBy", site.ivoid("ssa"), f"{title} spectra (SSA)"),
              ("IsServedBy", site.ivoid("tap"), f"{title} TAP service"),
              ("IsPartOf", site.ivoid("obscore"), "SOXS ObsCore collection"))
    return _record(site, "vs:CatalogResource", "spectra", "SOXS reduced spectra",
                   "The 1D spectra SOXS reduces with soxspipe (UV-VIS, NIR and merged arms) as "
                   "ESO Phase 3 products; searchable by position, wavelength and time through "
                   "SSA, as the spectrum rows of ObsCore through TAP.", "collection",
                   element("facility", FACILITY) + element("instrument", INSTRUMENT),
                   content_type="Catalog", relationships=served)


def all_records(settings, tables: tuple[TableMeta, ...] | None = None) -> list[Record]:
    """Every record of the registry interface, the authority and registry first; ``tables``
    as for :func:`service_records`."""
    site = Site.from_settings(settings)
    return [authority_record(site), registry_record(site), *service_records(site, tables),
            obscore_record(site), spectra_record(site)]
