"""Output is produced while rows are still being read: the head before any batch."""

import pytest
from conftest import COLUMNS, ROWS

from soxsvo.formats import WRITERS


class ReadTooFarError(AssertionError):
    pass


def _guarded_batches(consumed: list):
    for k in range(5):
        consumed.append(k)
        yield ROWS


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_first_chunk_before_any_row(writer):
    consumed: list = []
    chunks = writer.stream(COLUMNS, _guarded_batches(consumed))
    first = next(chunks)
    assert first
    assert consumed == []
    rest = list(chunks)
    assert consumed == list(range(5))
    assert rest


@pytest.mark.parametrize("fmt", ["votable/b2", "votable/td", "csv", "json", "parquet"])
def test_chunk_per_batch_without_reading_ahead(fmt):
    from soxsvo.formats import resolve_format

    consumed: list = []

    def batches():
        for k in range(3):
            consumed.append(k)
            yield ROWS * 50
        raise ReadTooFarError("read past the data")  # never reached if lazily consumed in order

    stream = resolve_format(fmt).stream(COLUMNS, batches())
    next(stream)
    next(stream)  # data of the first batch
    assert consumed == [0]
