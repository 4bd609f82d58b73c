"""Computed columns (COALESCE, CASE, NULLIF, arithmetic) have the type PostgreSQL gives them,
and every output format returns the values PostgreSQL computes.

A seeded generator writes a few hundred expressions over an uploaded table with a column of
each numeric type, text and NULLs; each runs through ``/tap/sync`` as BINARY2, TABLEDATA, CSV
and Parquet, and directly in PostgreSQL on a copy of the table.
"""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal

import numpy as np
import psycopg
import pyarrow.parquet as pq
import pytest
from astropy.io import votable
from astropy.table import MaskedColumn, Table

ROWS = 12
#: column -> (numpy dtype, PostgreSQL type, values); every third value of a column is NULL.
COLUMNS = {
    "s": ("i2", "smallint", [1, -2, 3, 0, 5, -5, 7, 2, -1, 4, 6, 1]),
    "n": ("i4", "integer", [10, -200, 0, 31, 1000, -7, 12, 8, 99, -1000, 5, 3]),
    "l": ("i8", "bigint", [2**40, -3, 0, 5_000_000_000, 17, 1, -2**41, 8, 9, 10, 11, 12]),
    "f": ("f4", "real", [1.5, -0.25, 23.29999, 100.5, 2.75, 0.0, -8.5, 3.25, 1e6, 7.5, 0.5, 4]),
    "d": ("f8", "double precision",
          [0.1, -12.5, 3.141592653589793, 2e-9, 1e12, -0.0, 5.5, 6.25, 7.0, 8.125, 9.5, 10]),
    "c": ("U4", "text", ["a", "bc", "x y", "dd", "e", "ff", "g", "hh", "i", "jj", "k", "ll"]),
}
NUMERIC = ("s", "n", "l", "f", "d")
LITERALS = ("0", "2", "-3", "0.5", "1.25", "3000000000", "NULL")
QUOTED = ("'7'", "'-2'", "'0.5'")
FORMATS = ("votable/b2", "votable/td", "csv", "parquet")
EXPRESSIONS = 300
PER_QUERY = 30


def _null(column: str, row: int) -> bool:
    # A VOTable has no NULL for char: an upload sends an empty string, so c has no NULLs.
    return column != "c" and (row + "snlfdc".index(column)) % 3 == 0


def _table() -> Table:
    table = Table({"i": np.arange(ROWS, dtype=np.int64)})
    for name, (dtype, _, values) in COLUMNS.items():
        mask = [_null(name, r) for r in range(ROWS)]
        table[name] = MaskedColumn(np.array(values, dtype=dtype), mask=mask)
    return table


class _Expressions:
    """Random type-mixing expressions; ADQL and PostgreSQL read each of them the same way."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def condition(self) -> str:
        column = self.rng.choice(NUMERIC)
        if self.rng.random() < 0.3:
            return f"t.{column} IS {self.rng.choice(['', 'NOT '])}NULL"
        return f"t.{column} > {self.rng.choice(LITERALS[:5])}"

    def atom(self) -> str:
        draw = self.rng.random()
        if draw < 0.55:
            return f"t.{self.rng.choice(NUMERIC)}"
        if draw < 0.65:  # a string literal takes the type of the other branches
            return self.rng.choice(QUOTED)
        return self.rng.choice(LITERALS)

    def number(self, depth: int = 0) -> str:
        if depth > 1:
            return self.atom()
        kind = self.rng.choice(("coalesce", "case", "case_null", "nullif", "sum", "atom"))
        sub = [self.number(depth + 1) for _ in range(self.rng.randint(2, 3))]
        if kind == "coalesce":
            return f"COALESCE({', '.join(sub)})"
        if kind == "case":
            whens = " ".join(f"WHEN {self.condition()} THEN {s}" for s in sub[:-1])
            return f"CASE {whens} ELSE {sub[-1]} END"
        if kind == "case_null":
            return f"CASE WHEN {self.condition()} THEN NULL ELSE {sub[0]} END"
        if kind == "nullif":
            return f"NULLIF(t.{self.rng.choice(NUMERIC)}, {self.rng.choice(LITERALS[:5])})"
        if kind == "sum":
            # Columns plus small literals only: no smallint overflow.
            return f"(t.{self.rng.choice(NUMERIC)} + {self.rng.choice(LITERALS[:5])})"
        return self.atom()

    def text(self) -> str:
        return self.rng.choice((
            "COALESCE(t.c, 'z')", f"CASE WHEN {self.condition()} THEN NULL ELSE t.c END",
            f"CASE WHEN {self.condition()} THEN 'k' ELSE t.c END", "NULLIF(t.c, 'a')",
            f"CASE WHEN {self.condition()} THEN t.c END"))

    def expression(self) -> str:
        return self.text() if self.rng.random() < 0.15 else self.number()


def _plain(value: object) -> object:
    """A value as Python sees it, whatever format it came from."""
    if value is None or value is np.ma.masked or value == "":
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _from_votable(body: bytes, names: list[str]) -> dict[str, list]:
    table = votable.parse_single_table(io.BytesIO(body)).to_table()
    return {n: [_plain(v) for v in table[n].tolist()] if not hasattr(table[n], "mask")
            else [None if m else _plain(v) for v, m in zip(table[n].data.tolist(),
                                                             np.ma.getmaskarray(table[n]),
                                                             strict=True)]
            for n in names}


def _from_csv(body: bytes, names: list[str]) -> dict[str, list]:
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    return {n: [_plain(row[n]) for row in rows] for n in names}


def _from_parquet(body: bytes, names: list[str]) -> dict[str, list]:
    table = pq.read_table(io.BytesIO(body))
    return {n: [_plain(v) for v in table.column(n).to_pylist()] for n in names}


READERS = {"votable/b2": _from_votable, "votable/td": _from_votable, "csv": _from_csv,
           "parquet": _from_parquet}


def _same(got: object, want: object, real: bool, csv_text: bool) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, str) or isinstance(got, str):
        if isinstance(got, str) and not isinstance(want, str) and csv_text:
            got = float(got)  # CSV has no types: its text must be the number
        else:
            return got == want
    return got == pytest.approx(want, rel=1e-6 if real else 1e-12, abs=1e-300)


@pytest.fixture
def postgres_table(db_conn):
    """The uploaded table, as a PostgreSQL table of the same types, for PostgreSQL's answers."""
    columns = ", ".join(f"{name} {pgtype}" for name, (_, pgtype, _) in COLUMNS.items())
    db_conn.execute(f"CREATE TEMP TABLE t (i bigint, {columns})")
    table = _table()
    with db_conn.cursor().copy(f"COPY t (i, {', '.join(COLUMNS)}) FROM STDIN") as copy:
        for r in range(ROWS):
            copy.write_row([r, *(None if _null(c, r) else _plain(table[c][r]) for c in COLUMNS)])
    return db_conn


def _postgres(conn, expressions: list[str]) -> tuple[dict[str, list], dict[str, str]]:
    """PostgreSQL's values and result types of ``expressions`` over the table."""
    items = ", ".join(f"{e} AS v{k}" for k, e in enumerate(expressions))
    cursor = conn.execute(f"SELECT {items} FROM t ORDER BY i")
    rows = cursor.fetchall()
    types = {d.name: conn.adapters.types.get(d.type_code).name for d in cursor.description}
    return ({f"v{k}": [_plain(row[k]) for row in rows] for k in range(len(expressions))},
            types)


def _valid_expressions(conn, generator: _Expressions) -> list[str]:
    """EXPRESSIONS generated expressions that PostgreSQL accepts (a NULL-only CASE is text,
    and cannot be a branch of a numeric one)."""
    expressions: list[str] = []
    while len(expressions) < EXPRESSIONS:
        expression = generator.expression()
        try:
            with conn.transaction():
                conn.execute(f"SELECT {expression} FROM t")
        except (psycopg.errors.DatatypeMismatch, psycopg.errors.InvalidTextRepresentation):
            continue
        expressions.append(expression)
    return expressions


def _served(client, expressions: list[str], fmt: str) -> bytes:
    buffer = io.BytesIO()
    votable.from_table(_table()).to_xml(buffer)
    items = ", ".join(f"{e} AS v{k}" for k, e in enumerate(expressions))
    answer = client.post("/tap/sync", data={
        "LANG": "ADQL", "RESPONSEFORMAT": fmt, "UPLOAD": "t,param:t",
        "QUERY": f"SELECT {items} FROM TAP_UPLOAD.t AS t ORDER BY t.i",
        "t": (io.BytesIO(buffer.getvalue()), "t.xml")})
    return answer.data if answer.status_code == 200 else None


def test_every_format_returns_postgresql_values_of_generated_expressions(
        client, postgres_table) -> None:
    expressions = _valid_expressions(postgres_table, _Expressions(seed=20))
    wrong = []
    for start in range(0, EXPRESSIONS, PER_QUERY):
        batch = expressions[start:start + PER_QUERY]
        want, types = _postgres(postgres_table, batch)
        names = list(want)
        for fmt in FORMATS:
            body = _served(client, batch, fmt)
            if body is None:  # PostgreSQL itself ran these expressions
                wrong.append(f"{fmt} refused {batch}")
                continue
            try:
                got = READERS[fmt](body, names)
            except ValueError as exc:  # e.g. a TABLEDATA number that is not of its datatype
                wrong.append(f"{fmt} unreadable: {exc}")
                continue
            for k, name in enumerate(names):
                real = types[name] == "float4"
                if not all(_same(g, w, real, fmt == "csv") for g, w in zip(got[name], want[name],
                                                             strict=True)):
                    wrong.append(f"{fmt} {batch[k]} ({types[name]}): {got[name]} != "
                                 f"{want[name]}")
    assert not wrong, f"{len(wrong)} wrong answers, e.g.\n" + "\n".join(wrong[:10])


@pytest.mark.parametrize(("expression", "datatype", "values"), [
    ("COALESCE(t.s, 0.5)", "double", [0.5, -2.0, 3.0]),
    ("CASE WHEN t.n > 0 THEN NULL ELSE 1.5 END", "double", [None, 1.5, 1.5]),
    ("CASE WHEN t.s IS NULL THEN NULL ELSE t.s END", "short", [None, -2, 3]),
    ("COALESCE(t.n, 3000000000)", "long", [10, -200, 3000000000]),
    ("COALESCE('7', t.n)", "int", [7, 7, 7]),
    ("CASE WHEN t.n > 0 THEN '0.5' ELSE t.d END", "double", [0.5, -12.5, None]),
])
def test_declared_type_follows_postgresql(client, expression, datatype, values) -> None:
    body = _served(client, [expression], "votable/b2")
    assert body is not None
    field = votable.parse_single_table(io.BytesIO(body)).fields[0]
    assert field.datatype == datatype
    assert _from_votable(body, ["v0"])["v0"][:3] == values


def test_a_percent_sign_in_a_name_is_no_placeholder(client) -> None:
    buffer = io.BytesIO()
    votable.from_table(_table()).to_xml(buffer)
    answer = client.post("/tap/sync", data={
        "LANG": "ADQL", "UPLOAD": "t,param:t", "RESPONSEFORMAT": "csv",
        "QUERY": 'SELECT q."50%" FROM (SELECT COALESCE(t.s, 0.5) AS "50%", t.i FROM '
                 'TAP_UPLOAD.t AS t) AS q ORDER BY q.i',
        "t": (io.BytesIO(buffer.getvalue()), "t.xml")})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_data(as_text=True).splitlines()[:3] == ["50%", "0.5", "-2.0"]
