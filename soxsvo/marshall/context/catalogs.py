"""Load a catalogue (FITS or CSV, read with astropy) into ``marshall.catalog_source``.

Each catalogue is one partition of ``marshall.catalog_source`` holding the columns a
cross-match needs (identifier, position, redshift, magnitude), sorted on the q3c index so a
cone touches few pages. A reload builds the new partition beside the old one and swaps them
in one transaction: readers see the old catalogue or the new one, never half of either.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from astropy.io import fits
from astropy.table import Table
from psycopg import sql

from soxsvo.errors import InputError

KINDS = ("galaxy", "star", "agn", "variable")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# Column names tried, in order, when the caller names none (case-insensitive).
_GUESSES = {
    "ra": ("ra", "raj2000", "ra_icrs", "radeg", "ra_deg", "_raj2000"),
    "dec": ("dec", "dej2000", "decj2000", "de_icrs", "dec_icrs", "decdeg", "dec_deg",
            "_dej2000"),
    "id": ("source_id", "id", "objid", "objname", "name", "designation", "glade_no", "pgc",
           "main_id"),
    "z": ("z", "redshift", "z_spec", "zspec", "z_best", "z_helio", "z_cmb"),
    "mag": ("mag", "phot_g_mean_mag", "gmag", "rmag", "kmag", "bmag", "w1mpro"),
}


class CatalogError(InputError):
    """A catalogue file or option that cannot be loaded; the message says which and why."""


@dataclass(frozen=True)
class LoadedCatalog:
    """What :func:`load_catalog` loaded."""

    name: str
    kind: str
    rows: int
    columns: dict[str, str | None]

    @property
    def message(self) -> str:
        used = ", ".join(f"{k}={v}" for k, v in self.columns.items() if v)
        return f"catalogue {self.name} ({self.kind}): {self.rows} rows loaded ({used})"


def _read(path: Path) -> Table:
    if not path.is_file():
        raise CatalogError(f"{path}: no such file")
    suffix = "".join(path.suffixes).lower()
    fmt = "fits" if any(s in suffix for s in (".fits", ".fit", ".fts")) else (
        "ascii.ecsv" if suffix.endswith(".ecsv") else "ascii.csv")
    try:
        if fmt == "fits":
            # From memory: astropy leaves the file open when a damaged FITS fails to parse.
            with fits.open(io.BytesIO(path.read_bytes())) as hdus:
                table = Table.read(hdus, format="fits")
        else:
            table = Table.read(path, format=fmt)
    except Exception as exc:  # noqa: BLE001 - astropy raises many types for bad files
        raise CatalogError(f"{path}: not a readable {fmt} table ({exc})") from exc
    if len(table) == 0:
        raise CatalogError(f"{path}: the table holds no rows")
    return table


def _column(table: Table, role: str, given: str | None, path: Path,
            required: bool) -> str | None:
    by_lower = {name.lower(): name for name in table.colnames}
    if given:
        if given.lower() not in by_lower:
            raise CatalogError(f"{path}: no column {given!r} (has {', '.join(table.colnames)})")
        return by_lower[given.lower()]
    for guess in _GUESSES[role]:
        if guess in by_lower:
            return by_lower[guess]
    if required:
        raise CatalogError(f"{path}: no {role} column found; name it with --{role}")
    return None


def _floats(table: Table, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    values = np.ma.filled(np.ma.asarray(table[column], dtype=np.float64), np.nan)
    return np.asarray(values, dtype=np.float64)


def _checked_positions(table: Table, ra_col: str, dec_col: str,
                       path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        ra, dec = _floats(table, ra_col), _floats(table, dec_col)
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"{path}: positions must be in degrees ({exc})") from None
    bad = ~np.isfinite(ra) | ~np.isfinite(dec) | (np.abs(dec) > 90)
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise CatalogError(f"{path}: row {row} has no valid position "
                           f"({table[ra_col][row - 1]!r}, {table[dec_col][row - 1]!r})")
    ra = np.mod(ra, 360.0)
    return np.where(ra >= 360.0, 0.0, ra), dec


def _identifiers(table: Table, id_col: str | None) -> list[str]:
    if id_col is None:
        return [str(i) for i in range(1, len(table) + 1)]
    column = table[id_col]
    return [str(v).strip() for v in (column.filled("") if hasattr(column, "filled")
                                     else column)]


def _write_partition(conn: psycopg.Connection, name: str, rows: list[tuple]) -> None:
    partition = sql.Identifier("marshall", f"catalog_{name}")
    draft = sql.Identifier("marshall", f"catalog_{name}_loading")
    conn.execute("CREATE TEMP TABLE catalog_load (LIKE marshall.catalog_source) ON COMMIT DROP")
    with conn.cursor().copy("COPY catalog_load FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(draft))
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE marshall.catalog_source INCLUDING DEFAULTS "
                         "INCLUDING CONSTRAINTS, CHECK (catalog = {}))").format(
        draft, sql.Literal(name)))
    # Rows in q3c order: neighbours on the sky are neighbours on disk (a clustered table).
    conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM catalog_load "
                         "ORDER BY q3c_ang2ipix(ra, dec)").format(draft))
    conn.execute(sql.SQL("CREATE INDEX ON {} (q3c_ang2ipix(ra, dec))").format(draft))
    old = conn.execute("SELECT to_regclass(%s)", (f"marshall.catalog_{name}",)).fetchone()[0]
    if old is not None:
        conn.execute(sql.SQL("ALTER TABLE marshall.catalog_source DETACH PARTITION {}").format(
            partition))
        conn.execute(sql.SQL("DROP TABLE {}").format(partition))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(
        draft, sql.Identifier(f"catalog_{name}")))
    conn.execute(sql.SQL("ALTER TABLE marshall.catalog_source ATTACH PARTITION {} "
                         "FOR VALUES IN ({})").format(partition, sql.Literal(name)))
    conn.execute(sql.SQL("ANALYZE {}").format(partition))


def load_catalog(conn: psycopg.Connection, name: str, path: Path, *, kind: str,
                 ra: str | None = None, dec: str | None = None, id: str | None = None,
                 z: str | None = None, mag: str | None = None) -> LoadedCatalog:
    """Load (or reload) the catalogue ``name`` from a FITS or CSV file, in one transaction.

    Parameters
    ----------
    conn : psycopg.Connection
    name : str
        Lower-case identifier of the catalogue (``glade``, ``gaia_dr3``, ...).
    path : pathlib.Path
        FITS (first table HDU) or CSV file; positions in degrees (ICRS).
    kind : {'galaxy', 'star', 'agn', 'variable'}
        What its objects are: galaxies are host candidates, the others counterparts.
    ra, dec, id, z, mag : str, optional
        Column names; guessed from common names (``RAJ2000``, ``z``, ...) when not given.

    Raises
    ------
    CatalogError
        Bad name, kind, file or column; nothing is loaded.
    """
    if not _NAME.match(name):
        raise CatalogError(f"catalogue name {name!r}: use lower-case letters, digits and _")
    if kind not in KINDS:
        raise CatalogError(f"catalogue kind {kind!r}: one of {', '.join(KINDS)}")
    path = Path(path)
    table = _read(path)
    columns = {"ra": _column(table, "ra", ra, path, True),
               "dec": _column(table, "dec", dec, path, True),
               "id": _column(table, "id", id, path, False),
               "z": _column(table, "z", z, path, False),
               "mag": _column(table, "mag", mag, path, False)}
    ra_values, dec_values = _checked_positions(table, columns["ra"], columns["dec"], path)
    try:
        redshift, magnitude = _floats(table, columns["z"]), _floats(table, columns["mag"])
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"{path}: redshift and magnitude must be numbers ({exc})") from None
    ids = _identifiers(table, columns["id"])

    def nullable(values: np.ndarray | None, index: int) -> float | None:
        if values is None or not np.isfinite(values[index]):
            return None
        return float(values[index])

    rows = [(name, ids[i], float(ra_values[i]), float(dec_values[i]), nullable(redshift, i),
             nullable(magnitude, i)) for i in range(len(table))]
    with conn.transaction():
        _write_partition(conn, name, rows)
        conn.execute(
            "INSERT INTO marshall.catalog (name, kind, source_file, row_count) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, "
            "source_file = EXCLUDED.source_file, row_count = EXCLUDED.row_count, "
            "loaded_at = now()", (name, kind, path.name, len(rows)))
    return LoadedCatalog(name=name, kind=kind, rows=len(rows), columns=columns)
