"""Reading a table file to publish: its columns (types, units, UCDs, descriptions) and its rows
as Arrow record batches, a batch at a time.

CSV and Parquet are streamed by pyarrow; FITS is memory-mapped and VOTable parsed by astropy,
then handed over in slices, so the rows are never all copied at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from soxsvo.db.metadata import ColumnMeta
from soxsvo.errors import InputError

#: Rows per batch sent to COPY: large enough to amortise the per-batch cost, small enough to
#: keep the peak memory of a wide table in tens of MB.
BATCH_ROWS = 100_000

#: File name endings of each format.
FORMATS = {".fits": "fits", ".fit": "fits", ".fts": "fits", ".vot": "votable",
           ".votable": "votable", ".xml": "votable", ".csv": "csv", ".parquet": "parquet",
           ".pq": "parquet"}


@dataclass(frozen=True)
class SourceColumn:
    """A column of the file: its TAP metadata and its PostgreSQL type."""

    meta: ColumnMeta
    pg_type: str


@dataclass(frozen=True)
class Source:
    """A table file opened for publishing.

    Attributes
    ----------
    columns : tuple of SourceColumn
        In the file's order, names lower-cased.
    n_rows : int or None
        Number of rows when the format says it up front (not CSV).
    batches : callable
        Returns an iterator over the rows as Arrow record batches (columns in order).
    """

    columns: tuple[SourceColumn, ...]
    n_rows: int | None
    batches: Callable[[], Iterator[pa.RecordBatch]]


def file_format(path: Path, given: str | None = None) -> str:
    """The format of ``path``: ``given``, else from its name ending."""
    if given is not None:
        if given not in set(FORMATS.values()):
            raise InputError(f"unknown format {given!r} (one of: fits, votable, csv, parquet)")
        return given
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown format {path.suffix!r} "
                         "(FITS, VOTable, CSV or Parquet: .fits, .vot, .xml, .csv, .parquet)")
    return fmt


def _arrow_types(arrow: pa.DataType, name: str) -> tuple[str, str, str | None]:
    """(PostgreSQL type, VOTable datatype, arraysize) of an Arrow type."""
    simple = [
        (pa.types.is_boolean, ("boolean", "boolean", None)),
        (pa.types.is_int8, ("smallint", "short", None)),
        (pa.types.is_int16, ("smallint", "short", None)),
        (pa.types.is_uint8, ("smallint", "short", None)),
        (pa.types.is_int32, ("integer", "int", None)),
        (pa.types.is_uint16, ("integer", "int", None)),
        (pa.types.is_int64, ("bigint", "long", None)),
        (pa.types.is_uint32, ("bigint", "long", None)),
        (pa.types.is_float16, ("real", "float", None)),
        (pa.types.is_float32, ("real", "float", None)),
        (pa.types.is_float64, ("double precision", "double", None)),
        (pa.types.is_string, ("text", "char", "*")),
        (pa.types.is_large_string, ("text", "char", "*")),
    ]
    for test, types in simple:
        if test(arrow):
            return types
    if pa.types.is_timestamp(arrow) or pa.types.is_date(arrow):
        return "timestamp", "char", "*"
    raise InputError(f"column {name}: type {arrow} cannot be published (numbers, booleans, "
                     "strings and dates can)")


def _column(name: str, arrow: pa.DataType, *, unit=None, ucd=None, utype=None,
            description=None) -> SourceColumn:
    pg_type, datatype, arraysize = _arrow_types(arrow, name)
    xtype = "timestamp" if pg_type == "timestamp" else None
    meta = ColumnMeta(name.lower(), datatype, arraysize=arraysize, xtype=xtype,
                      unit=str(unit) if unit else None, ucd=ucd or None, utype=utype or None,
                      description=description or None)
    return SourceColumn(meta, pg_type)


def _from_schema(schema: pa.Schema) -> tuple[SourceColumn, ...]:
    return tuple(_column(field.name, field.type) for field in schema)


def _parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    return Source(_from_schema(parquet.schema_arrow), parquet.metadata.num_rows,
                  lambda: parquet.iter_batches(batch_size=BATCH_ROWS))


def _csv(path: Path) -> Source:
    import pyarrow.csv as pacsv

    def batches() -> Iterator[pa.RecordBatch]:
        # 16 MB blocks: a batch each, streamed (the file is never read whole).
        return iter(pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 24)))

    first = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 24))
    return Source(_from_schema(first.schema), None, batches)


def _arrow_array(column) -> pa.Array:
    """An astropy column (maybe masked, maybe bytes) as an Arrow array."""
    data = np.asarray(column)
    if data.dtype.kind == "S":
        data = np.char.decode(data, "ascii", "replace")
    if data.dtype.kind == "U":
        data = np.char.rstrip(data)
    mask = np.ma.getmaskarray(column) if hasattr(column, "mask") else None
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("="))
    return pa.array(data, mask=mask if mask is not None and mask.any() else None)


def _astropy_source(table, described: dict[str, dict]) -> Source:
    """A Source over an astropy table whose column metadata are ``described`` by name."""
    if any(table[name].ndim > 1 for name in table.colnames):
        bad = [name for name in table.colnames if table[name].ndim > 1]
        raise InputError(f"array columns cannot be published: {', '.join(bad)}")
    sample = pa.RecordBatch.from_arrays([_arrow_array(table[n][:1]) for n in table.colnames],
                                        names=table.colnames)
    columns = tuple(_column(field.name, field.type, unit=table[field.name].unit,
                            description=table[field.name].description,
                            **described.get(field.name, {}))
                    for field in sample.schema)

    def batches() -> Iterator[pa.RecordBatch]:
        for start in range(0, len(table), BATCH_ROWS):
            part = table[start:start + BATCH_ROWS]
            yield pa.RecordBatch.from_arrays([_arrow_array(part[n]) for n in part.colnames],
                                             names=part.colnames)

    return Source(columns, len(table), batches)


def _fits(path: Path) -> Source:
    from astropy.io import fits
    from astropy.table import Table

    with fits.open(path) as hdus:
        index = next((i for i, hdu in enumerate(hdus) if isinstance(
            hdu, fits.BinTableHDU | fits.TableHDU)), None)
        if index is None:
            raise InputError(f"{path}: no table extension")
        header = hdus[index].header
    # TUCD/TUTYP/TCOMM are FITS conventions astropy does not read into the columns.
    described = {}
    for number in range(1, int(header.get("TFIELDS", 0)) + 1):
        name = header.get(f"TTYPE{number}")
        described[name] = {key: header[card] for key, card in
                           (("ucd", f"TUCD{number}"), ("utype", f"TUTYP{number}"))
                           if card in header}
        if f"TCOMM{number}" in header:
            described[name]["description"] = header[f"TCOMM{number}"]
    table = Table.read(path, hdu=index, memmap=True)
    for name, extra in described.items():
        if "description" in extra and name in table.colnames:
            table[name].description = extra.pop("description")
    return _astropy_source(table, described)


def _votable(path: Path) -> Source:
    from astropy.io.votable import parse_single_table

    votable = parse_single_table(str(path))
    described = {field.name: {"ucd": field.ucd, "utype": field.utype}
                 for field in votable.fields}
    table = votable.to_table(use_names_over_ids=True)
    return _astropy_source(table, described)


def open_source(path: Path, fmt: str | None = None) -> Source:
    """Open ``path`` (FITS, VOTable, CSV or Parquet) for publishing.

    Raises
    ------
    InputError
        When the file does not exist, its format is unknown or it cannot be read.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    reader = {"fits": _fits, "votable": _votable, "csv": _csv,
              "parquet": _parquet}[file_format(path, fmt)]
    try:
        source = reader(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: cannot be read as {file_format(path, fmt)} ({exc})") from None
    names = [c.meta.name for c in source.columns]
    if len(set(names)) != len(names):
        raise InputError(f"{path}: two columns have the same name (case ignored)")
    return source


def with_metadata(columns: tuple[SourceColumn, ...], given: dict[str, dict]) -> tuple[
        SourceColumn, ...]:
    """``columns`` with the metadata ``given`` by column name (unit, ucd, utype, description,
    principal, indexed) taking precedence over the file's; the file's types stay."""
    allowed = ("unit", "ucd", "utype", "description", "principal", "indexed", "xtype")
    unknown = set(given) - {c.meta.name for c in columns}
    if unknown:
        raise InputError(f"metadata for columns the file does not have: {sorted(unknown)}")
    return tuple(
        SourceColumn(replace(c.meta, **{k: v for k, v in given.get(c.meta.name, {}).items()
                                        if k in allowed}), c.pg_type)
        for c in columns)
