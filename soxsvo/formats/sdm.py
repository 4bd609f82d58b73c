"""A SOXS spectrum as a Spectrum Data Model 2.0 VOTable: the one SDM writer, shared by SSA
getData (the whole spectrum) and the SODA cutout in VOTable form (the cut pixels).

One row per spectral pixel: vacuum wavelength, flux density, its 1-sigma error and the quality
mask, each with unit, UCD and ``spec2:`` utype; what is known of the spectrum as a whole
(target, position, time, coverage, resolving power, identifiers) goes into PARAMs of the table.
The rows stream through the shared VOTable writers in batches.

The writer takes what its callers know, never a query or a file: a :class:`SpectrumRecord`
(the ObsCore facts; SSA fills it from ``ivoa.obscore``, SODA from the product and the cut) and
the :class:`SpectrumPixels` (the arrays as the Phase 3 file holds them). So both protocol
packages import it and neither imports the other.

:class:`Param` and :func:`annotate` add what the shared writers do not write (PARAMs, FIELD IDs,
a table utype, trailing resources) to their stream. They live here because the SDM writer needs
them and ``formats`` may import nothing above itself; SSA's queryData documents use them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.info import Info
from soxsvo.formats.registry import resolve_format
from soxsvo.formats.votable_xml import escape

__all__ = ["ERG_CM2_S_A_IN_FLUX_VOUNIT", "FLUX_VOUNIT", "Param", "SpectrumPixels",
           "SpectrumRecord", "annotate", "sdm_columns", "sdm_params", "sdm_votable"]

#: Flux density unit of the SDM VOTable spectra. The Phase 3 FITS files hold erg s-1 cm-2 A-1,
#: which VOUnit deprecates (astropy then leaves the unit unrecognised); the VOTable states the
#: same fluxes in SI: 1 erg s-1 cm-2 A-1 = 0.01 W m-2 nm-1.
FLUX_VOUNIT = "W.m**-2.nm**-1"
ERG_CM2_S_A_IN_FLUX_VOUNIT = 0.01
#: Pixels per encoded batch: large enough for numpy, small enough to stream.
BATCH_PIXELS = 20000


# --- PARAMs and the additions to a writer's stream ------------------------------------------

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


def annotate(chunks: Iterable[bytes], *, params: Iterable[Param] = (),
             table_utype: str | None = None, trailing_resources: Iterable[str] = (),
             resource_params: Iterable[Param] = ()) -> Iterator[bytes]:
    """Add FIELD IDs (each column's name), PARAMs and resources to a writer's stream.

    The shared writers guarantee that their first chunk is the whole head (up to the opened
    DATA) and their last chunk the whole tail; the additions go there, so the rows still
    stream through the shared encoders untouched.

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


# --- the SDM 2.0 spectrum -------------------------------------------------------------------

@dataclass(frozen=True)
class SpectrumRecord:
    """The facts about a spectrum as a whole that its SDM serialisation states.

    Named as the ObsCore columns they come from (``em_min``/``em_max`` in metres, times in MJD,
    ``exptime`` in seconds). Only ``pubdid`` and ``dp_id`` are required: a fact left None is
    left out of the document.
    """

    pubdid: str
    dp_id: str
    title: str | None = None
    target: str | None = None
    ra: float | None = None
    dec: float | None = None
    t_min: float | None = None
    t_max: float | None = None
    exptime: float | None = None
    em_min: float | None = None
    em_max: float | None = None
    res_power: float | None = None
    snr: float | None = None
    calib_status: str | None = None
    collection: str | None = None
    creation_date: str | None = None


@dataclass(frozen=True)
class SpectrumPixels:
    """The arrays of a spectrum as its Phase 3 file holds them.

    Attributes
    ----------
    wave_nm : numpy.ndarray
        Vacuum wavelength in nm (a file in angstrom is converted by whoever reads it).
    flux, err : numpy.ndarray
        Flux density and its 1-sigma error in the file's unit: erg s-1 cm-2 A-1 when
        ``fluxcal`` is not ``UNCALIBRATED``, else detector counts.
    qual : numpy.ndarray
        The Phase 3 quality mask (0 good).
    fluxcal : str
        The Phase 3 ``FLUXCAL`` keyword (``ABSOLUTE`` or ``UNCALIBRATED``).
    """

    wave_nm: np.ndarray
    flux: np.ndarray
    err: np.ndarray
    qual: np.ndarray
    fluxcal: str

    @property
    def calibrated(self) -> bool:
        """Whether the fluxes are physical (erg s-1 cm-2 A-1) rather than counts."""
        return str(self.fluxcal).strip().upper() != "UNCALIBRATED"


def sdm_columns(flux_unit: str) -> tuple[ColumnMeta, ...]:
    """The four data columns of an SDM spectrum."""
    return (
        ColumnMeta("WAVE", "double", unit="nm", ucd="em.wl",
                   utype="spec2:Data.SpectralAxis.Value",
                   description="Vacuum wavelength"),
        ColumnMeta("FLUX", "float", unit=flux_unit, ucd="phot.flux.density;em.wl",
                   utype="spec2:Data.FluxAxis.Value", description="Flux density"),
        ColumnMeta("ERR", "float", unit=flux_unit, ucd="stat.error;phot.flux.density;em.wl",
                   utype="spec2:Data.FluxAxis.Accuracy.StatError",
                   description="1-sigma error of the flux density"),
        ColumnMeta("QUAL", "int", ucd="meta.code.qual",
                   utype="spec2:Data.FluxAxis.Accuracy.QualityStatus",
                   description="Quality mask: 0 good; bits 1 bad pixel, 2 telluric, "
                               "4 no data, 8 low signal"),
    )


def _num(name: str, value: float | None, utype: str, unit: str | None = None,
         ucd: str | None = None) -> Param | None:
    if value is None:
        return None
    return Param(name, repr(float(value)), datatype="double", unit=unit, ucd=ucd, utype=utype)


def _identity(record: SpectrumRecord, length: int, acref: str | None,
              calib_status: str) -> list[Param]:
    params = [
        Param("DataModel", "Spectrum-2.0", utype="spec2:Dataset.DataModel.Name"),
        Param("DatasetType", "Spectrum", utype="spec2:Dataset.Type"),
        Param("Length", str(length), datatype="long", ucd="meta.number",
              utype="spec2:Dataset.Length"),
        Param("DatasetID", record.pubdid, ucd="meta.ref.uri;meta.curation",
              utype="spec2:DataID.DatasetID"),
    ]
    if acref:
        params.append(Param("AccessReference", acref, ucd="meta.ref.url;meta.dataset",
                            utype="spec2:Access.Reference"))
    return params + [
        Param("Title", record.title or record.dp_id, ucd="meta.title;meta.dataset",
              utype="spec2:DataID.Title"),
        Param("Collection", record.collection or "SOXS", ucd="meta.id",
              utype="spec2:DataID.Collection"),
        Param("Instrument", "SOXS", ucd="meta.id;instr", utype="spec2:ObsConfig.Instrument.Name"),
        Param("SpaceFrame", "ICRS", ucd="meta.code.class;pos.frame",
              utype="spec2:CoordSys.SpaceFrame.Name"),
        Param("FluxCalibration", calib_status.upper(), ucd="meta.code.qual",
              utype="spec2:Char.FluxAxis.CalibrationStatus"),
    ]


def _coverage(record: SpectrumRecord) -> list[Param]:
    params = []
    if record.target:
        params.append(Param("Target", record.target, ucd="meta.id;src",
                            utype="spec2:Target.Name"))
    if record.creation_date:
        params.append(Param("CreationDate", record.creation_date, ucd="time;meta.dataset",
                            utype="spec2:DataID.Date"))
    if record.ra is not None and record.dec is not None:
        params.append(Param("Location", f"{record.ra!r} {record.dec!r}", datatype="double",
                            arraysize="2", unit="deg", ucd="pos.eq",
                            utype="spec2:Char.SpatialAxis.Coverage.Location.Value"))
    mid = (record.t_min + record.t_max) / 2 if None not in (record.t_min, record.t_max) else None
    optional = [
        _num("TimeMid", mid, "spec2:Char.TimeAxis.Coverage.Location.Value", "d", "time.epoch"),
        _num("TimeStart", record.t_min, "spec2:Char.TimeAxis.Coverage.Bounds.Start", "d",
             "time.start"),
        _num("TimeStop", record.t_max, "spec2:Char.TimeAxis.Coverage.Bounds.Stop", "d",
             "time.end"),
        _num("ExposureTime", record.exptime, "spec2:Char.TimeAxis.Coverage.Support.Extent",
             "s", "time.duration"),
        _num("SpectralStart", record.em_min, "spec2:Char.SpectralAxis.Coverage.Bounds.Start",
             "m", "em.wl;stat.min"),
        _num("SpectralStop", record.em_max, "spec2:Char.SpectralAxis.Coverage.Bounds.Stop",
             "m", "em.wl;stat.max"),
        _num("ResolvingPower", record.res_power,
             "spec2:Char.SpectralAxis.Resolution.ResolPower.refVal", None, "spect.resolution"),
        _num("SNR", record.snr, "spec2:Derived.SNR", None, "stat.snr"),
    ]
    return params + [p for p in optional if p is not None]


def sdm_params(record: SpectrumRecord, pixels: SpectrumPixels,
               acref: str | None = None) -> list[Param]:
    """The PARAMs describing the spectrum as a whole.

    The flux calibration is the record's (ObsCore ``o_calib_status``) when known, else the
    pixels' own ``FLUXCAL``.
    """
    calib_status = record.calib_status or pixels.fluxcal
    return _identity(record, int(pixels.wave_nm.size), acref, calib_status) + _coverage(record)


def _batches(wave: np.ndarray, flux: np.ndarray, err: np.ndarray,
             qual: np.ndarray) -> Iterator[list[tuple]]:
    for start in range(0, wave.size, BATCH_PIXELS):
        part = slice(start, start + BATCH_PIXELS)
        yield list(zip(wave[part].tolist(), flux[part].tolist(), err[part].tolist(),
                       qual[part].tolist(), strict=True))


def sdm_votable(record: SpectrumRecord, pixels: SpectrumPixels, *, acref: str | None = None,
                response_format: str | None = None,
                resource_infos: Iterable[Info] = ()) -> Iterator[bytes]:
    """A spectrum as an SDM 2.0 VOTable, streamed in batches of pixels.

    Parameters
    ----------
    record : SpectrumRecord
        What is known of the spectrum as a whole; None fields are left out.
    pixels : SpectrumPixels
        The spectrum's arrays (all of them for SSA getData, the cut ones for SODA).
    acref : str, optional
        URL the document can be fetched again from (``spec2:Access.Reference``).
    response_format : str, optional
        A VOTable RESPONSEFORMAT of :func:`soxsvo.formats.resolve_format`; BINARY2 by default.
    resource_infos : iterable of Info
        INFOs of the results RESOURCE after ``QUERY_STATUS`` (SSA's ``SERVICE_PROTOCOL``).

    Returns
    -------
    iterator of bytes
        The document. Fluxes of a calibrated spectrum are converted to :data:`FLUX_VOUNIT`;
        an uncalibrated one keeps its counts (``adu``).
    """
    # Scale in float64, then store float32 as the Phase 3 file does: the conversion must not
    # cost the precision the file has.
    scale = ERG_CM2_S_A_IN_FLUX_VOUNIT if pixels.calibrated else 1.0
    flux = (np.asarray(pixels.flux, dtype=np.float64) * scale).astype(np.float32)
    err = (np.asarray(pixels.err, dtype=np.float64) * scale).astype(np.float32)
    wave = np.asarray(pixels.wave_nm, dtype=np.float64)
    qual = np.asarray(pixels.qual).astype(np.int32)
    columns = sdm_columns(FLUX_VOUNIT if pixels.calibrated else "adu")
    writer = resolve_format(response_format or "votable")
    chunks = writer.stream(columns, _batches(wave, flux, err, qual),
                           resource_infos=resource_infos, table_name="spectrum")
    return annotate(chunks, params=sdm_params(record, pixels, acref),
                    table_utype="spec2:Spectrum")
