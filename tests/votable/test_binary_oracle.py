"""The vectorised BINARY/BINARY2 encoder equals the pure-Python reference byte for byte."""

import datetime as dt
import math
import random

import pytest

from soxsvo.db.metadata import ColumnMeta
from soxsvo.formats.binary import BinaryEncoder
from soxsvo.formats.fields import column_specs
from soxsvo.formats.reference import encode_rows

COLUMNS = [
    ColumnMeta("d", "double"), ColumnMeta("f", "float"), ColumnMeta("l", "long"),
    ColumnMeta("i", "int"), ColumnMeta("h", "short"), ColumnMeta("u8", "unsignedByte"),
    ColumnMeta("s", "char", arraysize="*"), ColumnMeta("w", "unicodeChar", arraysize="*"),
    ColumnMeta("t", "char", arraysize="*", xtype="timestamp"), ColumnMeta("b", "boolean"),
    ColumnMeta("p", "double", arraysize="2", xtype="point"),
    ColumnMeta("poly", "double", arraysize="*", xtype="polygon"),
    ColumnMeta("c", "doubleComplex"),
]


def _random_rows(rng: random.Random, n: int) -> list[tuple]:
    def maybe(make):
        return None if rng.random() < 0.25 else make()

    zones = [None, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]
    rows = []
    for _ in range(n):
        zone = zones[rng.randrange(3)] if rng.random() < 0.1 else None
        rows.append((
            maybe(lambda: rng.choice([rng.uniform(-1e300, 1e300), math.nan, -0.0, math.inf])),
            maybe(lambda: rng.uniform(-1e30, 1e30)),
            maybe(lambda: rng.randint(-(2**63) + 1, 2**63 - 1)),
            maybe(lambda: rng.randint(-(2**31) + 1, 2**31 - 1)),
            maybe(lambda: rng.randint(-(2**15) + 1, 2**15 - 1)),
            maybe(lambda: rng.randint(0, 254)),
            maybe(lambda: rng.choice(["", "NGC 1068", "x" * 300, "héllo", "a&b"])),
            maybe(lambda: rng.choice(["", "ü€", "日本語", "plain"])),
            maybe(lambda zone=zone: dt.datetime(1990, 1, 1, tzinfo=zone)
                  + dt.timedelta(microseconds=rng.randrange(10**15))
                  * rng.choice([0, 1])),
            maybe(lambda: rng.random() < 0.5),
            maybe(lambda: [rng.uniform(0, 360), rng.uniform(-90, 90)]),
            maybe(lambda: [rng.random() for _ in range(2 * rng.randint(3, 8))]),
            maybe(lambda: complex(rng.random(), -rng.random())),
        ))
    return rows


@pytest.mark.parametrize("binary2", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_fast_encoder_matches_reference(seed, binary2):
    rows = _random_rows(random.Random(seed), 700)
    specs = column_specs(COLUMNS)
    fast = BinaryEncoder(specs, binary2=binary2).encode(rows)
    assert fast == encode_rows(specs, rows, binary2=binary2)


def test_out_of_range_integer_names_the_column():
    specs = column_specs([ColumnMeta("n", "int")])
    with pytest.raises(ValueError, match="column n"):
        BinaryEncoder(specs, binary2=True).encode([(2**40,)])
