"""MAXREC=0: every format gives the columns and no rows."""

import io
import json

import pyarrow.parquet as pq
from astropy.io import votable
from astropy.table import Table
from conftest import COLUMNS

from soxsvo.formats import write


def test_votable_has_fields_and_no_rows():
    for fmt in ("votable/b2", "votable/b", "votable/td"):
        table = votable.parse_single_table(io.BytesIO(b"".join(write(fmt, COLUMNS, []))))
        assert [f.name for f in table.fields] == [c.name for c in COLUMNS]
        assert len(table.array) == 0


def test_other_formats_have_columns_and_no_rows():
    names = [c.name for c in COLUMNS]
    assert json.loads(b"".join(write("json", COLUMNS, [])))["data"] == []
    assert b"".join(write("csv", COLUMNS, [[]])).decode().strip() == ",".join(names)
    assert pq.read_table(io.BytesIO(b"".join(write("parquet", COLUMNS, [])))).column_names \
        == names
    fits_table = Table.read(io.BytesIO(b"".join(write("fits", COLUMNS, []))), format="fits")
    assert fits_table.colnames == names and len(fits_table) == 0
