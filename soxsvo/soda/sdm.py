"""A cutout as a VOTable following the IVOA Spectrum Data Model (utypes and UCDs per column)."""

from __future__ import annotations

import io

import numpy as np
from astropy.io.votable.tree import Info, Param, VOTableFile
from astropy.table import Table

from soxsvo.soda.cutout import Cutout

#: Per column: (utype of Spectrum DM 1.0, UCD).
_COLUMNS = {
    "WAVE": ("spec:Spectrum.Data.SpectralAxis.Value", "em.wl"),
    "FLUX": ("spec:Spectrum.Data.FluxAxis.Value", "phot.flux.density;em.wl"),
    "ERR": ("spec:Spectrum.Data.FluxAxis.Accuracy.StatError",
            "stat.error;phot.flux.density;em.wl"),
    "QUAL": ("spec:Spectrum.Data.FluxAxis.Quality", "meta.code.qual"),
    "SNR": ("eso:Data.FluxAxis.SNR", "stat.snr"),
}

#: Primary-header keywords given as PARAMs: (keyword, name, utype, ucd, datatype).
_PARAMS = (
    ("OBJECT", "target", "spec:Spectrum.Target.Name", "meta.id;src", "char"),
    ("RA", "ra", "spec:Spectrum.Char.SpatialAxis.Coverage.Location.Value", "pos.eq.ra", "double"),
    ("DEC", "dec", "spec:Spectrum.Char.SpatialAxis.Coverage.Location.Value", "pos.eq.dec",
     "double"),
    ("MJD-OBS", "mjd_obs", "spec:Spectrum.Char.TimeAxis.Coverage.Bounds.Start", "time.start",
     "double"),
    ("WAVELMIN", "wavelmin", "spec:Spectrum.Char.SpectralAxis.Coverage.Bounds.Start",
     "em.wl;stat.min", "double"),
    ("WAVELMAX", "wavelmax", "spec:Spectrum.Char.SpectralAxis.Coverage.Bounds.Stop",
     "em.wl;stat.max", "double"),
    ("SNR", "snr", "spec:Spectrum.Derived.SNR", "stat.snr", "double"),
)


def _param(votable: VOTableFile, header, key, name, utype, ucd, datatype) -> Param | None:
    value = header.get(key)
    if value is None:
        return None
    unit = "nm" if key.startswith("WAVEL") else ("deg" if key in ("RA", "DEC") else None)
    return Param(votable, name=name, value=value if datatype != "char" else str(value),
                 datatype=datatype, arraysize="*" if datatype == "char" else None, utype=utype,
                 ucd=ucd, unit=unit)


def cutout_votable(cutout: Cutout) -> bytes:
    """The cutout as a one-table VOTable (BINARY2), one row per pixel."""
    primary, table_hdu = cutout.hdus[0].header, cutout.hdus[1]
    row = table_hdu.data[0]
    table = Table()
    for column in table_hdu.columns:
        values = np.asarray(row[column.name]).ravel()
        table[column.name] = values.astype(values.dtype.newbyteorder("="))
        table[column.name].unit = column.unit or None
    votable = VOTableFile.from_table(table)
    resource = votable.resources[0]
    resource.type = "results"
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    out = resource.tables[0]
    out.name = "spectrum"
    out.utype = "spec:Spectrum"
    for field in out.fields:
        utype, ucd = _COLUMNS.get(field.name.upper(), (None, None))
        field.utype, field.ucd = utype, ucd
    for spec in _PARAMS:
        param = _param(votable, primary, *spec)
        if param is not None:
            out.params.append(param)
    buffer = io.BytesIO()
    votable.to_xml(buffer, tabledata_format="binary2")
    return buffer.getvalue()
