"""The IVOA ADQL query collection: valid queries parse, invalid ones are rejected."""

import pytest

from soxsvo.adql import ADQLSyntaxError, parse, to_adql

from .conformance import load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.ident for c in CASES])
def test_query(case):
    """Parse one query of the collection.

    Valid queries must parse (with the functions their file declares as UDFs) and survive
    a print/parse round trip; invalid ones must raise ADQLSyntaxError with a position.
    """
    if case.valid:
        tree = parse(case.adql, case.udfs)
        assert parse(to_adql(tree), case.udfs) == tree
    else:
        with pytest.raises(ADQLSyntaxError) as info:
            parse(case.adql, case.udfs)
        assert info.value.line is not None and info.value.column is not None


def test_corpus_size():
    """The collection has not shrunk unnoticed (495 queries when this was written)."""
    assert len(CASES) >= 495
