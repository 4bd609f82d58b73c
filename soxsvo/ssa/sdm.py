"""A SOXS Phase 3 spectrum as a Spectrum Data Model 2.0 VOTable (the ``votable`` format of
SSA getData).

One row per spectral pixel: vacuum wavelength, flux density, its 1-sigma error and the quality
mask, each with unit, UCD and ``spec2:`` utype; the spectrum's metadata (target, position,
time, coverage, resolving power, identifiers) are PARAMs of the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats import Info, resolve_format
from soxsvo.phase3.spectrum import read_phase3_spectrum
from soxsvo.ssa.columns import ERG_CM2_S_A_IN_FLUX_VOUNIT, FLUX_VOUNIT
from soxsvo.ssa.votable import Param, annotate

#: Pixels per encoded batch: large enough for numpy, small enough to stream.
BATCH_PIXELS = 20000


@dataclass(frozen=True)
class SpectrumRecord:
    """The ObsCore facts of one spectrum that its SDM serialisation states."""

    pubdid: str
    dp_id: str
    title: str | None
    target: str | None
    ra: float | None
    dec: float | None
    t_min: float | None
    t_max: float | None
    exptime: float | None
    em_min: float | None
    em_max: float | None
    res_power: float | None
    snr: float | None
    calib_status: str | None
    collection: str | None
    creation_date: str | None



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


def sdm_params(record: SpectrumRecord, length: int, acref: str) -> list[Param]:
    """The PARAMs describing the spectrum as a whole."""
    params = [
        Param("DataModel", "Spectrum-2.0", utype="spec2:Dataset.DataModel.Name"),
        Param("DatasetType", "Spectrum", utype="spec2:Dataset.Type"),
        Param("Length", str(length), datatype="long", ucd="meta.number",
              utype="spec2:Dataset.Length"),
        Param("DatasetID", record.pubdid, ucd="meta.ref.uri;meta.curation",
              utype="spec2:DataID.DatasetID"),
        Param("AccessReference", acref, ucd="meta.ref.url;meta.dataset",
              utype="spec2:Access.Reference"),
        Param("Title", record.title or record.dp_id, ucd="meta.title;meta.dataset",
              utype="spec2:DataID.Title"),
        Param("Collection", record.collection or "SOXS", ucd="meta.id",
              utype="spec2:DataID.Collection"),
        Param("Instrument", "SOXS", ucd="meta.id;instr", utype="spec2:ObsConfig.Instrument.Name"),
        Param("SpaceFrame", "ICRS", ucd="meta.code.class;pos.frame",
              utype="spec2:CoordSys.SpaceFrame.Name"),
        Param("FluxCalibration", (record.calib_status or "absolute").upper(),
              ucd="meta.code.qual", utype="spec2:Char.FluxAxis.CalibrationStatus"),
    ]
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


def _batches(wave: np.ndarray, flux: np.ndarray, err: np.ndarray,
             qual: np.ndarray) -> Iterator[list[tuple]]:
    for start in range(0, wave.size, BATCH_PIXELS):
        part = slice(start, start + BATCH_PIXELS)
        yield list(zip(wave[part].tolist(), flux[part].tolist(), err[part].tolist(),
                       qual[part].tolist(), strict=True))


def sdm_votable(path: str, record: SpectrumRecord, acref: str,
                response_format: str | None = None) -> Iterator[bytes]:
    """The spectrum in ``path`` (a Phase 3 FITS) as an SDM 2.0 VOTable, BINARY2 by default."""
    spectrum = read_phase3_spectrum(path)
    calibrated = str(spectrum.fluxcal).upper() != "UNCALIBRATED"
    scale = ERG_CM2_S_A_IN_FLUX_VOUNIT if calibrated else 1.0
    flux = (spectrum.flux.astype(np.float64) * scale).astype(np.float32)
    err = (spectrum.err.astype(np.float64) * scale).astype(np.float32)
    columns = sdm_columns(FLUX_VOUNIT if calibrated else "adu")
    writer = resolve_format(response_format or "votable")
    chunks = writer.stream(columns, _batches(spectrum.wave, flux, err,
                                             spectrum.qual.astype(np.int32)),
                           resource_infos=[Info("SERVICE_PROTOCOL", "1.1", "SSAP")],
                           table_name="spectrum")
    return annotate(chunks, params=sdm_params(record, spectrum.nelem, acref),
                    table_utype="spec2:Spectrum")
