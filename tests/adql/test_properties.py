"""Property tests: print/parse round trips, and no crash on arbitrary text."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soxsvo.adql import ADQLError, parse, to_adql, translate

from .conformance import load_cases
from .helpers import SCHEMA

names = st.sampled_from(["ra", "dec", "id", "name", "t.ra", '"Odd ""col"""', "x1"])
numbers = st.one_of(
    st.integers(0, 10**12).map(str),
    st.floats(0, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["1e-5", ".5", "0x1F", "3."]),
)
strings = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                  max_size=8).map(lambda s: "'" + s.replace("'", "''") + "'")
atoms = st.one_of(names, numbers, strings, st.just("NULL"))


def _extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "||", "&", "|", "^"]), inner)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-{e}"),
        st.tuples(st.sampled_from(["ABS", "SQRT", "LOWER", "COALESCE"]), inner)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"POINT({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"CASE WHEN {t[0]} = 1 THEN {t[1]} END"),
        inner.map(lambda e: f"CAST({e} AS DOUBLE PRECISION)"),
    )


values = st.recursive(atoms, _extend, max_leaves=8)
conditions = st.recursive(
    st.one_of(
        st.tuples(values, st.sampled_from(["=", "<>", "<", ">=", "!="]), values)
        .map(lambda t: " ".join(t)),
        st.tuples(values, values, values).map(lambda t: f"{t[0]} NOT BETWEEN {t[1]} AND {t[2]}"),
        st.tuples(values, strings).map(lambda t: f"{t[0]} ILIKE {t[1]}"),
        st.lists(values, min_size=1, max_size=3).map(lambda v: f"id IN ({', '.join(v)})"),
        values.map(lambda v: f"{v} IS NOT NULL"),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(" ".join),
        inner.map(lambda c: f"NOT ({c})"),
    ),
    max_leaves=5,
)
queries = st.builds(
    lambda top, items, cond, order: (
        f"SELECT {top}{', '.join(items)} FROM s.t AS t WHERE {cond}{order}"
    ),
    st.sampled_from(["", "TOP 5 ", "DISTINCT "]),
    st.lists(values, min_size=1, max_size=3),
    conditions,
    st.sampled_from(["", " ORDER BY 1 DESC", " OFFSET 3"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
def test_round_trip(text):
    """Generated queries that parse survive parse -> print -> parse unchanged."""
    try:
        tree = parse(text)
    except ADQLError:
        return  # e.g. a geometry used as an operand: rejected, which is fine
    assert parse(to_adql(tree)) == tree


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_text(text):
    """Arbitrary text either translates or raises an ADQLError subclass."""
    with contextlib.suppress(ADQLError):
        translate(text, SCHEMA)


CORPUS = [c.adql for c in load_cases()]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CORPUS), st.data())
def test_fuzz_mutated_queries(query, data):
    """Real queries with random cuts and insertions never crash the translator."""
    cut = data.draw(st.integers(0, len(query)))
    junk = data.draw(st.text(max_size=5))
    mutated = query[:cut] + junk + query[cut + data.draw(st.integers(0, 5)):]
    with contextlib.suppress(ADQLError):
        translate(mutated, SCHEMA)
