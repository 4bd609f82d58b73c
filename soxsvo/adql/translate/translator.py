"""ADQL tree -> PostgreSQL/q3c SQL plus result-column metadata.

Table names map to ``"schema"."table"`` (uploads therefore to ``"tap_upload"."x"``) unless
the caller passes ``table_sql``, a hook returning the SQL for a
:class:`~soxsvo.db.metadata.TableMeta` (the TAP layer uses it for temporary upload
tables).  Every FROM item gets a quoted SQL alias; ``*`` is expanded from metadata so that
result names are known, unique and carry their metadata.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from soxsvo.adql import nodes as n
from soxsvo.adql.errors import ADQLError, ADQLNameError, ADQLValidationError
from soxsvo.adql.parse.parser import parse
from soxsvo.adql.translate.expressions import ExpressionTranslator
from soxsvo.adql.translate.geometry import SQL_SCHEMA, FovBound
from soxsvo.adql.translate.scope import REGION_XTYPE, Scope, Source, quote, renamed
from soxsvo.db.metadata import ColumnMeta, TableMeta

_CASTS = {"double": "double precision", "long": "bigint"}
#: Schemas of ESO's archive that this service cannot offer, with the reason shown to users.
_ABSENT_SCHEMAS = {
    "asm": "ESO's ambient-condition tables (asm.*) hold La Silla Paranal site-monitoring "
           "measurements (seeing, turbulence, water vapour), which this archive does not have",
}


@dataclass(frozen=True)
class Translation:
    """Result of :func:`translate`.

    Parameters
    ----------
    sql : str
        PostgreSQL query with psycopg named placeholders (``%(p0)s``).
    params : dict
        Values of the placeholders.
    columns : tuple of ColumnMeta
        Metadata of the result columns, in order, names as the user sees them.
    tree : Node
        The parsed query.
    """

    sql: str
    params: dict[str, object]
    columns: tuple[ColumnMeta, ...]
    tree: n.Node = field(repr=False, compare=False, default=None)


class Translator(ExpressionTranslator):
    """Translate one parsed query; see :func:`translate`."""

    def __init__(
        self,
        text: str,
        tables: Iterable[TableMeta],
        table_sql: Callable[[TableMeta], str] | None = None,
        max_fov: FovBound | None = None,
    ):
        self.text = text
        self.params: dict[str, object] = {}
        self.table_sql = table_sql or (lambda t: f"{quote(t.schema)}.{quote(t.name)}")
        self.max_fov = max_fov
        self.tables = list(tables)
        self.ctes: dict[str, tuple[n.Identifier, tuple[ColumnMeta, ...]]] = {}
        self.alias_count = 0

    # -- queries -------------------------------------------------------------------------

    def statement(self, tree: n.Node) -> tuple[str, list[ColumnMeta]]:
        if isinstance(tree, n.With):
            parts = []
            for cte in tree.ctes:
                sql, cols = self.query(cte.query, None)
                if cte.columns:
                    if len(cte.columns) != len(cols):
                        raise self.fail(ADQLValidationError,
                                        "WITH column list does not match the query", cte)
                    cols = [renamed(c, i.name) for c, i in zip(cte.columns, cols, strict=True)]
                    sql = f"SELECT * FROM ({sql}) AS q({', '.join(quote(c.name) for c in cols)})"
                sql_name = quote(self._cte_name(cte.name))
                self.ctes[cte.name.key] = (cte.name, tuple(cols))
                parts.append(f"{sql_name} AS ({sql})")
            body, cols = self.query(tree.body, None)
            return "WITH " + ", ".join(parts) + " " + body, cols
        return self.query(tree, None)

    def _cte_name(self, ident: n.Identifier) -> str:
        return ident.name if ident.quoted else ident.name.lower()

    def subquery(self, query: n.Node, scope: Scope) -> str:
        return self.query(query, scope)[0]

    def query(self, node: n.Node, parent: Scope | None) -> tuple[str, list[ColumnMeta]]:
        if isinstance(node, n.SetOp):
            return self.setop(node, parent)
        return self.select(node, parent)

    def setop(self, node: n.SetOp, parent: Scope | None) -> tuple[str, list[ColumnMeta]]:
        left, lcols = self.query(node.left, parent)
        right, rcols = self.query(node.right, parent)
        if len(lcols) != len(rcols):
            raise self.fail(ADQLValidationError,
                            f"{node.op} of queries with {len(lcols)} and {len(rcols)} columns",
                            node)
        sql = f"({left}) {node.op}{' ALL' if node.all else ''} ({right})"
        sql += self.order_offset(node.order_by, node.offset, None, lcols, None)
        return sql, lcols

    def select(self, node: n.Select, parent: Scope | None) -> tuple[str, list[ColumnMeta]]:
        scope = Scope(self.text, parent=parent)
        from_sql = self.from_item(node.from_, scope)
        items: list[tuple[str, ColumnMeta]] = []
        for item in node.items:
            items.extend(self.select_item(item, scope))
        names: set[str] = set()
        columns, select_sql = [], []
        for sql, col in items:
            name = col.name
            k = 2
            while name.lower() in names:
                name, k = f"{col.name}_{k}", k + 1
            names.add(name.lower())
            columns.append(col if col.name == name else renamed(col, name))
            select_sql.append(f"{sql} AS {quote(name)}")
        parts = ["SELECT"]
        if node.quantifier == "DISTINCT":
            parts.append("DISTINCT")
        parts.append(", ".join(select_sql))
        parts.append("FROM " + from_sql)
        if node.where is not None:
            parts.append("WHERE " + self.condition(node.where, scope))
        if node.group_by:
            parts.append("GROUP BY " + ", ".join(
                self.output_or_value(g, scope, columns) for g in node.group_by))
        if node.having is not None:
            parts.append("HAVING " + self.condition(node.having, scope))
        sql = " ".join(parts) + self.order_offset(node.order_by, node.offset, scope, columns,
                                                  node.top)
        return sql, columns

    def output_or_value(self, node: n.Node, scope: Scope, columns: list[ColumnMeta]) -> str:
        """GROUP BY item: an input column, else a select-list alias, else an expression."""
        try:
            return self.value(node, scope).sql
        except ADQLNameError:
            name = self._output_name(node, columns)
            if name is None:
                raise
            return quote(name)

    def _output_name(self, node: n.Node, columns: list[ColumnMeta]) -> str | None:
        if isinstance(node, n.ColumnRef) and len(node.parts) == 1:
            ident = node.parts[0]
            for col in columns:
                if col.name == ident.name or (not ident.quoted and col.name.lower() == ident.key):
                    return col.name
        return None

    def order_offset(self, order_by, offset, scope, columns, top) -> str:
        sql = ""
        if order_by:
            keys = []
            for item in order_by:
                expr = item.expr
                if isinstance(expr, n.Number) and expr.is_integer:
                    position = int(expr.text, 0) if expr.text[:2].lower() == "0x" else int(
                        expr.text)
                    if not 1 <= position <= len(columns):
                        raise self.fail(ADQLValidationError,
                                        f"ORDER BY {position}: no such select-list position",
                                        expr)
                    key = quote(columns[position - 1].name)
                else:
                    name = self._output_name(expr, columns)
                    if name is not None:
                        key = quote(name)
                    elif scope is None:
                        raise self.fail(ADQLValidationError,
                                        "ORDER BY of a set operation must name a result "
                                        "column", expr)
                    else:
                        key = self.value(expr, scope).sql
                if item.descending is not None:
                    key += " DESC" if item.descending else " ASC"
                keys.append(key)
            sql += " ORDER BY " + ", ".join(keys)
        if top is not None:
            sql += f" LIMIT {int(top)}"
        if offset is not None:
            sql += f" OFFSET {int(offset)}"
        return sql

    def select_item(self, item: n.Node, scope: Scope) -> list[tuple[str, ColumnMeta]]:
        if isinstance(item, n.Star):
            if not item.qualifier:
                return list(scope.star)
            for src in scope.sources:
                if src.ref_matches(item.qualifier):
                    return [(src.column_sql(c), c) for c in src.columns]
            label = ".".join(p.name for p in item.qualifier)
            raise scope.error(ADQLNameError, f"unknown table or alias {label!r}", item.pos,
                              difflib.get_close_matches(
                                  label, [s.alias.name if s.alias else s.name
                                          for s in scope.sources], 3, 0.6))
        val = self.value(item.expr, scope)
        if item.alias is not None:
            name = item.alias.name
        elif val.column:
            name = val.meta.name
        elif isinstance(item.expr, n.Function):
            name = item.expr.name.lower()
        else:
            name = "expr"
        sql = val.sql
        if not val.column and val.meta.datatype in _CASTS and val.meta.arraysize is None:
            # PostgreSQL gives numeric for many expressions; pin the declared type.
            sql = f"CAST({sql} AS {_CASTS[val.meta.datatype]})"
        elif not val.column and val.sql.startswith("%("):
            sql = f"CAST({sql} AS text)"  # a bare parameter has no type in a select list
        meta = val.meta if val.meta.name == name else renamed(val.meta, name)
        return [(sql, meta)]

    # -- FROM ------------------------------------------------------------------------------

    def _alias(self, wanted: str, scope: Scope) -> str:
        taken = {s.sql_alias for s in scope.sources}
        alias = quote(wanted)
        while alias in taken:
            self.alias_count += 1
            alias = quote(f"{wanted}_{self.alias_count}")
        return alias

    def from_item(self, node: n.Node, scope: Scope) -> str:
        if isinstance(node, n.Table):
            return self.table(node, scope)
        if isinstance(node, n.Derived):
            sql, cols = self.query(node.query, scope.parent)
            alias = node.alias
            sql_alias = self._alias(alias.name if alias.quoted else alias.name.lower(), scope)
            src = Source(alias, sql_alias, tuple(cols), name=alias.name)
            scope.sources.append(src)
            scope.star.extend((src.column_sql(c), c) for c in cols)
            return f"({sql}) AS {sql_alias}"
        return self.join(node, scope)

    def table(self, node: n.Table, scope: Scope) -> str:
        parts = node.parts
        wanted = parts[-1]
        if len(parts) == 1 and wanted.key in self.ctes:
            ident, cols = self.ctes[wanted.key]
            meta, sql = None, quote(self._cte_name(ident))
            name = ident.name
        else:
            meta = self.find_table(node)
            sql, cols, name = self.table_sql(meta), meta.columns, meta.name
        alias_name = node.alias.name if node.alias else name
        if node.alias is not None and not node.alias.quoted:
            alias_name = alias_name.lower()
        sql_alias = self._alias(alias_name, scope)
        src = Source(node.alias, sql_alias, tuple(cols), meta, name,
                     table_sql=sql if meta is not None else None)
        scope.sources.append(src)
        scope.star.extend((src.column_sql(c), c) for c in cols)
        return f"{sql} AS {sql_alias}"

    def find_table(self, node: n.Table) -> TableMeta:
        parts = node.parts
        *schema, name = parts[-2:] if len(parts) > 1 else parts

        def hit(t: TableMeta) -> bool:
            ok = (name.name == t.name) if name.quoted else name.key == t.name.lower()
            if schema:
                s = schema[0]
                ok = ok and ((s.name == t.schema) if s.quoted else s.key == t.schema.lower())
            return ok

        found = [t for t in self.tables if hit(t)]
        if len(found) == 1:
            return found[0]
        label = ".".join(p.name for p in parts)
        if len(found) > 1:
            raise self.fail(ADQLValidationError,
                            f"table {label!r} is ambiguous: qualify it with its schema", node)
        known = [t.qualified_name for t in self.tables]
        close = difflib.get_close_matches(label.lower(), known, 3, 0.5) or \
            difflib.get_close_matches(name.name.lower(), [t.name for t in self.tables], 3, 0.6)
        reason = _ABSENT_SCHEMAS.get(schema[0].key if schema else "")
        message = f"unknown table {label!r}" + (f": {reason}" if reason else "")
        raise self.fail(ADQLNameError, message, node, close)

    def join(self, node: n.Join, scope: Scope) -> str:
        left = self.from_item(node.left, scope)
        n_left = len(scope.sources)
        star_left = len(scope.star)
        right = self.from_item(node.right, scope)
        if isinstance(node.right, n.Join):
            right = f"({right})"
        if node.kind in ("COMMA", "CROSS"):
            return f"{left} CROSS JOIN {right}"
        kind = {"INNER": "JOIN", "LEFT": "LEFT OUTER JOIN", "RIGHT": "RIGHT OUTER JOIN",
                "FULL": "FULL OUTER JOIN"}[node.kind]
        using = list(node.using)
        lsrc, rsrc = scope.sources[:n_left], scope.sources[n_left:]
        if node.natural:
            rnames = {c.name.lower() for s in rsrc for c in s.columns}
            using = [n.Identifier(c.name, True) for s in lsrc for c in s.columns
                     if c.name.lower() in rnames]
        if node.on is not None:
            return f"{left} {kind} {right} ON {self.condition(node.on, scope)}"
        if not using:
            return f"{left} {kind} {right} ON TRUE"
        cols = []
        for ident in using:
            lhits = [(s, s.column(ident)) for s in lsrc if s.column(ident) is not None]
            rhits = [(s, s.column(ident)) for s in rsrc if s.column(ident) is not None]
            if len(lhits) != 1 or len(rhits) != 1:
                raise self.fail(ADQLNameError if not (lhits and rhits) else ADQLValidationError,
                                f"USING column {ident.name!r} must exist once on each side",
                                ident)
            (ls, lc), (rs, rc) = lhits[0], rhits[0]
            lsql, rsql = ls.column_sql(lc), rs.column_sql(rc)
            merged = {"INNER": lsql, "LEFT": lsql, "RIGHT": rsql}.get(
                node.kind, f"COALESCE({lsql}, {rsql})")
            scope.merged[lc.name.lower()] = (merged, lc)
            cols.append((lsql, rsql, merged, lc))
        # ``*`` shows each USING column once, first (SQL semantics).
        dropped = {lsql for lsql, *_ in cols} | {rsql for _, rsql, *_ in cols}
        before = [s for s in scope.star[:star_left] if s[0] not in dropped]
        after = [s for s in scope.star[star_left:] if s[0] not in dropped]
        scope.star[:] = [(m, c) for _, _, m, c in cols] + before + after
        cond = " AND ".join(f"{lsql} = {rsql}" for lsql, rsql, _, _ in cols)
        return f"{left} {kind} {right} ON {cond}"


def translate(
    text: str,
    schema: Iterable[TableMeta],
    *,
    table_sql: Callable[[TableMeta], str] | None = None,
    max_region_fov: FovBound | None = None,
    udfs: Iterable[str] = (),
) -> Translation:
    """Translate an ADQL query to PostgreSQL/q3c SQL.

    Parameters
    ----------
    text : str
        The ADQL query.
    schema : iterable of TableMeta
        Every table the query may use (published tables and ``tap_upload`` ones).
    table_sql : callable, optional
        Maps a table to the SQL naming it; default ``"schema"."table"``.  The TAP layer
        passes one that maps ``tap_upload`` tables to their temporary tables.
    max_region_fov : callable, optional
        Runs the query it is given (``SELECT max(s_fov) FROM`` a table with a region
        column) and returns its answer in degrees, or None; when given, region predicates
        against constant shapes get an index-driven q3c pre-filter.
    udfs : iterable of str, optional
        Extra function names the parser should accept (they are still rejected here
        unless registered in :data:`soxsvo.adql.functions.FUNCTIONS`).

    Returns
    -------
    Translation

    Raises
    ------
    ADQLError
        :class:`ADQLSyntaxError`, :class:`ADQLNameError` (unknown names, with
        suggestions) or :class:`ADQLValidationError`.
    """
    tree = parse(text, udfs)
    translator = Translator(text, schema, table_sql, max_region_fov)
    try:
        sql, columns = translator.statement(tree)
    except RecursionError:
        raise ADQLError("query nested too deeply to translate") from None
    return Translation(_regions_as_stcs(sql, columns), translator.params, tuple(columns), tree)


def _regions_as_stcs(sql: str, columns: list[ColumnMeta]) -> str:
    """Wrap the statement so that region columns come out as STC-S text.

    Only the outermost result is converted: inside the query (subqueries, WITH, predicates)
    regions stay DALI arrays for the geometry functions.  A wrapper without ORDER BY keeps
    the order of a sorted inner query (PostgreSQL does not flatten a sorted subquery).
    """
    if not any(c.xtype == REGION_XTYPE for c in columns):
        return sql
    outputs = [f"{SQL_SCHEMA}.stcs(r.{quote(c.name)}) AS {quote(c.name)}"
               if c.xtype == REGION_XTYPE else f"r.{quote(c.name)}" for c in columns]
    return f"SELECT {', '.join(outputs)} FROM ({sql}) AS r"
