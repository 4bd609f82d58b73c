"""What an SSA queryData answer holds: its columns (SSA utypes, UCDs, units), the constant
PARAMs of the table, and the input parameters ``FORMAT=metadata`` describes.

The columns are a view of ``ivoa.obscore``; the access columns (reference, format, size,
data model) depend on the spectrum format a row offers and are filled in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from soxsvo.db.metadata import ColumnMeta

FITS_MIME = "application/fits"
SDM_VOTABLE_MIME = "application/x-votable+xml;content=spectrum"


@dataclass(frozen=True)
class SsaColumn:
    """One output column: its metadata and the SQL giving its value (None: filled in Python)."""

    meta: ColumnMeta
    sql: str | None


def _col(name: str, datatype: str, sql: str | None, *, ucd: str | None = None,
         utype: str | None = None, unit: str | None = None, description: str,
         arraysize: str | None = None, xtype: str | None = None) -> SsaColumn:
    if datatype == "char" and arraysize is None:
        arraysize = "*"
    return SsaColumn(ColumnMeta(name=name, datatype=datatype, arraysize=arraysize, xtype=xtype,
                                unit=unit, ucd=ucd, utype=utype, description=description,
                                principal=True, std=utype is not None), sql)


_BANDPASS = ("CASE o.dataproduct_subtype WHEN 'uvvis' THEN 'UV-Optical' "
             "WHEN 'nir' THEN 'Near-Infrared' WHEN 'merged' THEN 'UV-Optical-Near-Infrared' "
             "END")

#: Output columns in order. The first four are filled per format in Python
#: (see :data:`ACCESS_COLUMNS`); the rest come from SQL over ``ivoa.obscore o`` left-joined to
#: ``marshall.transient t`` (the target's redshift).
COLUMNS: tuple[SsaColumn, ...] = (
    _col("ssa_acref", "char", None, ucd="meta.ref.url;meta.dataset",
         utype="ssa:Access.Reference",
         description="URL of the spectrum in the format of ssa_format"),
    _col("ssa_format", "char", None, ucd="meta.code.mime", utype="ssa:Access.Format",
         description="MIME type of the spectrum at ssa_acref: the archived Phase 3 FITS "
                     "(application/fits) or its Spectrum Data Model VOTable"),
    _col("ssa_size", "long", None, ucd="phys.size;meta.file", utype="ssa:Access.Size",
         unit="byte", description="Size of the spectrum at ssa_acref (estimated for VOTable)"),
    _col("ssa_model", "char", None, ucd="meta.id", utype="ssa:Dataset.DataModel",
         description="Data model of the spectrum at ssa_acref"),
    _col("ssa_dstitle", "char", "coalesce(o.obs_title, o.target_name)",
         ucd="meta.title;meta.dataset", utype="ssa:DataID.Title",
         description="Title of the spectrum"),
    _col("ssa_pubdid", "char", "o.obs_publisher_did", ucd="meta.ref.uri;meta.curation",
         utype="ssa:Curation.PublisherDID",
         description="IVOA identifier of the spectrum (the ID of DataLink and getData)"),
    _col("ssa_creatordid", "char", "o.obs_creator_did", ucd="meta.id",
         utype="ssa:DataID.CreatorDID", description="Identifier given by the creator"),
    _col("ssa_cdate", "char", "o.obs_creation_date", ucd="time;meta.dataset",
         utype="ssa:DataID.Date", xtype="timestamp",
         description="Date the spectrum was made by the pipeline (UTC)"),
    _col("ssa_collection", "char", "o.obs_collection", ucd="meta.id",
         utype="ssa:DataID.Collection", description="Data collection (SOXS)"),
    _col("ssa_creator", "char", "o.obs_creator_name", ucd="meta.id",
         utype="ssa:DataID.Creator", description="Who made the spectrum"),
    _col("ssa_instrument", "char", "o.instrument_name", ucd="meta.id;instr",
         utype="ssa:DataID.Instrument", description="Instrument: SOXS at the ESO NTT"),
    _col("ssa_bandpass", "char", _BANDPASS, ucd="instr.bandpass",
         utype="ssa:DataID.Bandpass", description="Spectral region the spectrum covers"),
    _col("ssa_targname", "char", "o.target_name", ucd="meta.id;src", utype="ssa:Target.Name",
         description="Name of the observed target (transient)"),
    _col("ssa_targclass", "char", "o.target_class", ucd="src.class", utype="ssa:Target.Class",
         description="Class of the target (SN Ia, TDE...) when classified"),
    _col("ssa_redshift", "double", "t.redshift", ucd="src.redshift",
         utype="ssa:Target.Redshift",
         description="Redshift of the target from the SOXS Marshall, when known"),
    _col("ssa_targetpos", "double",
         "CASE WHEN t.ra IS NULL THEN ARRAY[o.s_ra, o.s_dec] ELSE ARRAY[t.ra, t.dec] END",
         arraysize="2", unit="deg", ucd="pos.eq;src", utype="ssa:Target.Pos",
         description="ICRS position of the target (the Marshall's, else the slit centre)"),
    _col("ssa_snr", "double", "o.snr", ucd="stat.snr", utype="ssa:Derived.SNR",
         description="Median signal-to-noise ratio of the spectrum"),
    _col("ssa_location", "double", "ARRAY[o.s_ra, o.s_dec]", arraysize="2", unit="deg",
         ucd="pos.eq", utype="ssa:Char.SpatialAxis.Coverage.Location.Value",
         description="ICRS position of the slit centre (RA, Dec)"),
    _col("ssa_ra", "double", "o.s_ra", unit="deg", ucd="pos.eq.ra;meta.main",
         description="Right ascension of the slit centre (ICRS)"),
    _col("ssa_dec", "double", "o.s_dec", unit="deg", ucd="pos.eq.dec;meta.main",
         description="Declination of the slit centre (ICRS)"),
    _col("ssa_aperture", "double", "o.s_fov", unit="deg", ucd="phys.angSize;instr.fov",
         utype="ssa:Char.SpatialAxis.Coverage.Bounds.Extent",
         description="Angular extent of the aperture (slit length)"),
    _col("ssa_dateobs", "double", "(o.t_min + o.t_max) / 2", unit="d", ucd="time.epoch",
         utype="ssa:Char.TimeAxis.Coverage.Location.Value",
         description="Mid-point of the observation (MJD, UTC)"),
    _col("ssa_timeext", "double", "o.t_exptime", unit="s", ucd="time.duration",
         utype="ssa:Char.TimeAxis.Coverage.Bounds.Extent", description="Total exposure time"),
    _col("ssa_tstart", "double", "o.t_min", unit="d", ucd="time.start",
         utype="ssa:Char.TimeAxis.Coverage.Bounds.Start",
         description="Start of the first exposure (MJD, UTC)"),
    _col("ssa_tstop", "double", "o.t_max", unit="d", ucd="time.end",
         utype="ssa:Char.TimeAxis.Coverage.Bounds.Stop",
         description="End of the last exposure (MJD, UTC)"),
    _col("ssa_specmid", "double", "(o.em_min + o.em_max) / 2", unit="m",
         ucd="em.wl;instr.bandpass", utype="ssa:Char.SpectralAxis.Coverage.Location.Value",
         description="Mid-point of the wavelength range covered (vacuum)"),
    _col("ssa_specext", "double", "o.em_max - o.em_min", unit="m",
         ucd="em.wl;instr.bandwidth", utype="ssa:Char.SpectralAxis.Coverage.Bounds.Extent",
         description="Width of the wavelength range covered"),
    _col("ssa_specstart", "double", "o.em_min", unit="m", ucd="em.wl;stat.min",
         utype="ssa:Char.SpectralAxis.Coverage.Bounds.Start",
         description="Shortest wavelength covered (vacuum)"),
    _col("ssa_specend", "double", "o.em_max", unit="m", ucd="em.wl;stat.max",
         utype="ssa:Char.SpectralAxis.Coverage.Bounds.Stop",
         description="Longest wavelength covered (vacuum)"),
    _col("ssa_specres", "double",
         "coalesce(o.em_resolution, (o.em_min + o.em_max) / 2 / nullif(o.em_res_power, 0))",
         unit="m", ucd="spect.resolution;em.wl", utype="ssa:Char.SpectralAxis.Resolution",
         description="Spectral resolution element (FWHM) at the middle of the range"),
    _col("ssa_respower", "double", "o.em_res_power", ucd="spect.resolution",
         utype="ssa:Char.SpectralAxis.ResPower",
         description="Resolving power lambda/dlambda"),
    _col("ssa_length", "long", "o.em_xel", ucd="meta.number", utype="ssa:Dataset.Length",
         description="Number of points in the spectrum"),
    _col("ssa_fluxcalib", "char", "upper(o.o_calib_status)", ucd="meta.code.qual",
         utype="ssa:Char.FluxAxis.Calibration",
         description="Flux calibration: ABSOLUTE, RELATIVE or UNCALIBRATED"),
    _col("ssa_rights", "char", "o.data_rights", ucd="meta.code", utype="ssa:Curation.Rights",
         description="public, or proprietary until ssa_release"),
    _col("ssa_release", "char", "o.obs_release_date", ucd="time.release", xtype="timestamp",
         description="Date the spectrum is (or became) public (UTC)"),
    _col("dp_id", "char", "o.dp_id", ucd="meta.id",
         description="Archive file identifier (ADP.<timestamp>)"),
    _col("arm", "char", "o.dataproduct_subtype", ucd="meta.code;instr.setup",
         description="SOXS arm: uvvis, nir or merged"),
    _col("proposal_id", "char", "o.proposal_id", ucd="meta.id;obs.proposal",
         description="ESO programme identifier"),
)
#: Columns filled per format in Python, in this order at the start of each row.
ACCESS_COLUMNS = 4
#: Extra values selected after the SQL columns, for the access columns.
EXTRA_SQL = ("o.dp_id", "o.obs_publisher_did", "o.em_xel", "o.access_estsize", "f.fmt")

COLUMN_META: tuple[ColumnMeta, ...] = tuple(c.meta for c in COLUMNS)
#: The column DataLink's ID is bound to.
PUBDID_COLUMN = "ssa_pubdid"


@dataclass(frozen=True)
class TableParam:
    """A constant of the whole result, written as a VOTable PARAM."""

    name: str
    value: str
    utype: str
    description: str
    ucd: str | None = None


#: What is the same for every SOXS spectrum (SSA 1.1 table 4 items that do not vary).
TABLE_PARAMS: tuple[TableParam, ...] = (
    TableParam("ssa_dstype", "Spectrum", "ssa:Dataset.Type", "Type of the datasets"),
    TableParam("ssa_csysname", "ICRS", "ssa:CoordSys.SpaceFrame.Name",
               "Celestial frame of positions", "meta.code.class;pos.frame"),
    TableParam("ssa_datasource", "pointed", "ssa:DataID.DataSource",
               "How the data were obtained"),
    TableParam("ssa_creationtype", "archival", "ssa:DataID.CreationType",
               "How the datasets were made"),
    TableParam("ssa_spectralucd", "em.wl", "ssa:Char.SpectralAxis.Ucd",
               "UCD of the spectral axis in the spectra"),
    TableParam("ssa_spectralunit", "nm", "ssa:Char.SpectralAxis.Unit",
               "Unit of the spectral axis in the spectra (vacuum wavelength)"),
    TableParam("ssa_speccalib", "ABSOLUTE", "ssa:Char.SpectralAxis.Calibration",
               "Wavelength calibration"),
    TableParam("ssa_fluxucd", "phot.flux.density;em.wl", "ssa:Char.FluxAxis.Ucd",
               "UCD of the flux axis in the spectra"),
)


@dataclass(frozen=True)
class InputParam:
    """A queryData input parameter, as ``FORMAT=metadata`` describes it (``INPUT:<name>``)."""

    name: str
    datatype: str
    description: str
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    options: tuple[str, ...] = ()


INPUT_PARAMS: tuple[InputParam, ...] = (
    InputParam("REQUEST", "char", "queryData (find spectra) or getData (one spectrum)",
               options=("queryData", "getData")),
    InputParam("POS", "char", "Centre of the search cone: ra,dec in ICRS degrees, optionally "
               "followed by ;ICRS", unit="deg", ucd="pos.eq",
               utype="ssa:Char.SpatialAxis.Coverage.Location.Value"),
    InputParam("SIZE", "double", "Diameter of the search cone around POS (default 1 arcmin, "
               "at most 180 degrees)", unit="deg", ucd="phys.angSize;instr.fov",
               utype="ssa:Char.SpatialAxis.Coverage.Bounds.Extent"),
    InputParam("BAND", "char", "Wavelength ranges the spectra must overlap, in metres: "
               "lo/hi, lo/, /hi or a single wavelength, comma-separated", unit="m",
               ucd="em.wl", utype="ssa:Char.SpectralAxis.Coverage.Bounds.Extent"),
    InputParam("TIME", "char", "Time ranges the observations must overlap, ISO 8601 UTC: "
               "start/end, start/, /end or an instant", ucd="time.epoch",
               utype="ssa:Char.TimeAxis.Coverage.Bounds.Extent"),
    InputParam("FORMAT", "char", "Formats to list (all: FITS and VOTable rows; native: the "
               "archived FITS; compliant: the Spectrum Data Model VOTable), or metadata for "
               "this description", options=("all", "compliant", "native", "fits", "votable",
                                            "metadata")),
    InputParam("TARGETNAME", "char", "Target name or any of its survey aliases "
               "(case-insensitive)", ucd="meta.id;src", utype="ssa:Target.Name"),
    InputParam("COLLECTION", "char", "Data collection", ucd="meta.id",
               utype="ssa:DataID.Collection", options=("SOXS",)),
    InputParam("PUBDID", "char", "Publisher DID of a spectrum (ssa_pubdid)",
               ucd="meta.ref.uri;meta.curation", utype="ssa:Curation.PublisherDID"),
    InputParam("SNR", "char", "Smallest median signal-to-noise ratio (or a range lo/hi)",
               ucd="stat.snr", utype="ssa:Derived.SNR"),
    InputParam("SPECRP", "char", "Smallest resolving power lambda/dlambda (or a range)",
               ucd="spect.resolution", utype="ssa:Char.SpectralAxis.ResPower"),
    InputParam("REDSHIFT", "char", "Redshift ranges of the target (lo/hi, comma-separated)",
               ucd="src.redshift", utype="ssa:Target.Redshift"),
    InputParam("MAXREC", "int", "Most rows to return (0: metadata of the columns only)"),
    InputParam("RESPONSEFORMAT", "char", "Serialisation of the answer",
               options=("votable", "votable/td", "votable/b2", "votable/b",
                        "application/x-votable+xml")),
)
