"""Name resolution: which table and column an ADQL name designates.

ADQL case rules: regular identifiers match case-insensitively, delimited identifiers match
exactly.  Every name that reaches SQL is the *metadata's* spelling, double-quoted, so
nothing the user typed is pasted into SQL.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLNameError, ADQLValidationError
from soxsvo.adql.parse.lexer import line_col
from soxsvo.db.metadata import ColumnMeta, TableMeta


def quote(name: str) -> str:
    """Double-quote an SQL identifier; ``%`` is doubled for psycopg placeholders."""
    return '"' + name.replace('"', '""').replace("%", "%%") + '"'


def matches(ident: n.Identifier, name: str) -> bool:
    """ADQL case rule: delimited names match exactly, regular ones case-insensitively."""
    return ident.name == name if ident.quoted else ident.name.lower() == name.lower()


@dataclass(slots=True)
class Val:
    """A translated expression.

    Parameters
    ----------
    sql : str
        SQL text (placeholders for literals).
    meta : ColumnMeta
        Result metadata (name is a placeholder).
    shape : str or None
        ``point``, ``circle`` or ``polygon`` for geometry values.
    coords : tuple of str or None
        SQL of the numbers a geometry was built from (enables q3c fast paths).
    const : bool
        True if no column is involved (a constant geometry can drive a q3c index scan).
    region : tuple or None
        (ra, dec, fov) SQL of the row owning a region column and a query of the largest
        fov of its table: coarse q3c filter (see :meth:`Source.region_of`).
    column : bool
        True for a plain column reference (metadata carried over as is).
    uploaded : bool
        True when built from columns of a ``TAP_UPLOAD`` table (for a circle: its centre);
        a crossmatch probes the archive's index once per uploaded row, never the other way.
    parts : tuple of Val or None
        The values a point (x, y) or circle (x, y, r) was built from.
    """

    sql: str
    meta: ColumnMeta
    shape: str | None = None
    coords: tuple[str, ...] | None = None
    const: bool = False
    region: tuple[str, str, str, str | None] | None = None
    column: bool = False
    uploaded: bool = False
    parts: tuple[Val, ...] | None = None


#: VOTable datatypes of integers (integer arithmetic keeps them integral).
INTEGRAL = frozenset({"short", "int", "long", "unsignedByte"})

#: DALI xtypes of the geometry values the translator builds (DALI arrays).
GEOMETRY_XTYPES = ("point", "circle", "polygon")


def meta(datatype: str, **kw) -> ColumnMeta:
    """Metadata of a computed value (the name is set later)."""
    return ColumnMeta("expr", datatype, **kw)


DOUBLE = meta("double")
LONG = meta("long")
INT = meta("int")
TEXT = meta("char", arraysize="*")
BOOL = meta("boolean")


_WIDTH = ("unsignedByte", "short", "int", "long", "float", "double")


def common_meta(values: Sequence[Val]) -> tuple[ColumnMeta, str | None]:
    """Metadata and shape of CASE and COALESCE results: all branches, not the first one.

    NULL branches have no say; the unit is the one all non-constant branches share; numbers
    take the widest numeric datatype (``double`` when any branch is not an integer, as
    PostgreSQL's numeric and float8 both leave as doubles). This guess serves nested
    expressions; the result columns' datatypes are settled by PostgreSQL itself when the
    query runs (:mod:`soxsvo.tap.result_types`).
    """
    given = [v for v in values if v.sql != "NULL"]
    if not given:
        return TEXT, None
    first = given[0].meta
    units = {v.meta.unit for v in given if not v.const}  # a bare number takes any unit
    unit = units.pop() if len(units) == 1 else None
    if all(v.meta.datatype in _WIDTH and v.meta.arraysize is None and v.meta.xtype is None
           for v in given):
        widest = max((v.meta.datatype for v in given), key=_WIDTH.index)
        return meta(widest, unit=unit), None
    return (meta(first.datatype, arraysize=first.arraysize, xtype=first.xtype, unit=unit),
            given[0].shape)


@dataclass(slots=True)
class Source:
    """One FROM item: a table, a derived table or a CTE reference."""

    alias: n.Identifier | None
    sql_alias: str
    columns: tuple[ColumnMeta, ...]
    table: TableMeta | None = None
    name: str = ""
    #: SQL naming the table (None for derived tables and CTEs).
    table_sql: str | None = None

    def ref_matches(self, qualifier: tuple[n.Identifier, ...]) -> bool:
        """Does ``qualifier`` (the part before ``.column``) designate this source?"""
        if self.alias is not None:
            if len(qualifier) != 1:
                return False
            a = self.alias
            q = qualifier[0]
            return a.name == q.name if (a.quoted or q.quoted) else a.key == q.key
        if len(qualifier) == 1:
            return matches(qualifier[0], self.name)
        if self.table is None:
            return False
        schema, table = qualifier[-2], qualifier[-1]
        return matches(schema, self.table.schema) and matches(table, self.table.name)

    def column(self, ident: n.Identifier) -> ColumnMeta | None:
        for col in self.columns:
            if col.name == ident.name:
                return col
        if not ident.quoted:
            for col in self.columns:
                if col.name.lower() == ident.key:
                    return col
        return None

    def column_sql(self, col: ColumnMeta) -> str:
        return f"{self.sql_alias}.{quote(col.name)}"

    def region_of(self, col: ColumnMeta) -> tuple[str, str, str, str | None] | None:
        """Coarse filter of ObsCore-like tables: region ``s_region`` centred on s_ra/s_dec.

        (ra, dec, fov) SQL and a query of the table's largest fov (None for a derived
        table): that bounds every row's fov, so that a q3c cone of constant radius can use
        the index on (ra, dec).
        """
        if col.name.lower() != "s_region":
            return None
        names = {c.name.lower(): c for c in self.columns}
        if not all(k in names for k in ("s_ra", "s_dec", "s_fov")):
            return None
        ra, dec, fov = (self.column_sql(names[k]) for k in ("s_ra", "s_dec", "s_fov"))
        largest = (f"SELECT max({quote(names['s_fov'].name)}) FROM {self.table_sql}"
                   if self.table_sql is not None else None)
        return ra, dec, fov, largest


@dataclass(slots=True)
class Scope:
    """The names visible in one SELECT: its FROM sources and the enclosing scopes."""

    text: str
    sources: list[Source] = field(default_factory=list)
    parent: Scope | None = None
    #: USING/NATURAL join columns: lower-case name -> (SQL, meta); they are unambiguous.
    merged: dict[str, tuple[str, ColumnMeta]] = field(default_factory=dict)
    #: ``*`` expansion: (SQL, meta) in order.
    star: list[tuple[str, ColumnMeta]] = field(default_factory=list)

    def error(self, cls, message: str, pos: int, suggestions=()) -> Exception:
        line, col = line_col(self.text, pos) if pos >= 0 else (None, None)
        if cls is ADQLNameError:
            return cls(message, line, col, tuple(suggestions))
        return cls(message, line, col)

    def visible_columns(self) -> list[str]:
        names = []
        scope: Scope | None = self
        while scope is not None:
            for src in scope.sources:
                names.extend(c.name for c in src.columns)
            scope = scope.parent
        return names

    def resolve(self, ref: n.ColumnRef) -> Val:
        """Resolve a column reference here or in an enclosing scope (correlation)."""
        *qualifier, name = ref.parts
        scope: Scope | None = self
        while scope is not None:
            found = scope._lookup(tuple(qualifier), name, ref.pos)
            if found is not None:
                return found
            scope = scope.parent
        if qualifier and not self._qualifier_known(tuple(qualifier)):
            label = ".".join(p.name for p in qualifier)
            aliases = [s.alias.name if s.alias else s.name for s in self._all_sources()]
            raise self.error(
                ADQLNameError, f"unknown table or alias {label!r}", ref.pos,
                difflib.get_close_matches(label, aliases, 3, 0.6),
            )
        candidates = difflib.get_close_matches(name.name, self.visible_columns(), 3, 0.6)
        raise self.error(ADQLNameError, f"unknown column {name.name!r}", name.pos, candidates)

    def _all_sources(self) -> list[Source]:
        out, scope = [], self
        while scope is not None:
            out.extend(scope.sources)
            scope = scope.parent
        return out

    def _qualifier_known(self, qualifier) -> bool:
        return any(s.ref_matches(qualifier) for s in self._all_sources())

    def _lookup(self, qualifier, name: n.Identifier, pos: int) -> Val | None:
        if not qualifier and not name.quoted and name.key in self.merged:
            sql, meta = self.merged[name.key]
            return Val(sql, meta, _shape(meta), column=True)
        hits = []
        for src in self.sources:
            if qualifier and not src.ref_matches(qualifier):
                continue
            col = src.column(name)
            if col is not None:
                hits.append((src, col))
        if not hits:
            return None
        if len(hits) > 1:
            tables = ", ".join(s.alias.name if s.alias else s.name for s, _ in hits)
            raise self.error(
                ADQLValidationError,
                f"column {name.name!r} is ambiguous (in {tables}): qualify it", pos,
            )
        src, col = hits[0]
        uploaded = src.table is not None and src.table.schema.lower() == UPLOAD_SCHEMA
        return Val(src.column_sql(col), col, _shape(col), region=src.region_of(col), column=True,
                   uploaded=uploaded)


#: Schema of uploaded tables (TAP 1.1 ``TAP_UPLOAD``).
UPLOAD_SCHEMA = "tap_upload"

#: xtype of region columns of published tables (ObsCore 1.1 ``s_region``): published as
#: ``char``/``adql:REGION`` (STC-S text in results), stored as DALI polygon arrays so that the
#: exact spherical predicates work on them; the translator converts them to STC-S on output.
REGION_XTYPE = "adql:REGION"


def _shape(meta: ColumnMeta) -> str | None:
    if meta.xtype == REGION_XTYPE:
        return "polygon"
    return meta.xtype if meta.xtype in GEOMETRY_XTYPES else None


def renamed(meta: ColumnMeta, name: str) -> ColumnMeta:
    """Copy of ``meta`` under another name (result columns)."""
    return replace(meta, name=name)
