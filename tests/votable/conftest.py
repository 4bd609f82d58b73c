"""Shared sample results for the writer tests."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from soxsvo.db.metadata import ColumnMeta

COLUMNS = (
    ColumnMeta("ra", "double", unit="deg", ucd="pos.eq.ra;meta.main",
               description="Right ascension <ICRS> & more"),
    ColumnMeta("nid", "long", description="A big identifier"),
    ColumnMeta("num", "int"),
    ColumnMeta("name", "char", arraysize="*", ucd="meta.id"),
    ColumnMeta("label", "unicodeChar", arraysize="*"),
    ColumnMeta("obs_date", "char", arraysize="*", xtype="timestamp", ucd="time.start"),
    ColumnMeta("flag", "boolean"),
    ColumnMeta("pos", "double", arraysize="2", xtype="point", unit="deg"),
    ColumnMeta("region", "double", arraysize="*", xtype="polygon", unit="deg"),
)

UTC2 = dt.timezone(dt.timedelta(hours=2))

ROWS = [
    (10.5, 2**63 - 1, 7, "SN 2024abc", "Réunion €", dt.datetime(2024, 5, 1, 3, 4, 5, 250000),
     True, [10.5, -30.25], [1.0, 2.0, 3.0, 2.0, 2.0, 5.0]),
    (None, -(2**63) + 1, None, "", "", dt.datetime(2024, 5, 1, 3, 4, 5), False, None, None),
    (math.nan, None, -(2**31) + 1, None, None, None, None, [0.0, 0.0],
     [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
    (1e300, 0, 2**31 - 1, "a&b<c>", "日本", dt.datetime(2024, 5, 1, 5, 0, tzinfo=UTC2),
     True, [359.9, 89.9], [1.0, 1.0, 2.0, 1.0, 2.0, 2.0]),
]

#: What a reader must see, per column: timestamps in canonical UTC text.
EXPECTED_TIMES = ["2024-05-01T03:04:05.250000", "2024-05-01T03:04:05", None,
                  "2024-05-01T03:00:00"]


@pytest.fixture
def columns():
    return COLUMNS


@pytest.fixture
def rows():
    return list(ROWS)
