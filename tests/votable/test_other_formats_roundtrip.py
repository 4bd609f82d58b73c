"""FITS, CSV, TSV, JSON and Parquet read back with the values and nulls written."""

import io
import json
import math
import warnings

import numpy as np
import pyarrow.parquet as pq
from astropy.io import ascii as astropy_ascii
from astropy.table import Table
from conftest import COLUMNS, EXPECTED_TIMES, ROWS

from soxsvo.formats import write


def _out(fmt):
    return b"".join(write(fmt, COLUMNS, [ROWS[:2], ROWS[2:]], overflow=True))


def test_parquet_values_nulls_and_votable_metadata():
    table = pq.read_table(io.BytesIO(_out("parquet")))
    got = table.to_pylist()
    for k, row in enumerate(ROWS):
        for col, value in zip(COLUMNS, row, strict=True):
            seen = got[k][col.name]
            if col.xtype == "timestamp":
                assert seen == EXPECTED_TIMES[k]
            elif isinstance(value, float) and math.isnan(value):
                assert math.isnan(seen)
            else:
                assert seen == value
    header = table.schema.metadata[b"IVOA.VOTable-Parquet.content"].decode()
    assert 'name="pos"' in header and 'xtype="point"' in header and "<PARQUET" in header
    assert table.schema.metadata[b"IVOA.VOTable-Parquet.version"] == b"1.0"


def test_json_values_and_metadata():
    doc = json.loads(_out("json"))
    assert [c["name"] for c in doc["columns"]] == [c.name for c in COLUMNS]
    assert doc["columns"][0]["unit"] == "deg"
    assert doc["data"][0][1] == 2**63 - 1
    assert doc["data"][2][0] is None  # NaN is not JSON
    assert [r[5] for r in doc["data"]] == EXPECTED_TIMES
    assert doc["data"][0][4] == "Réunion €"


def test_csv_through_astropy_ascii():
    table = astropy_ascii.read(_out("csv").decode(), format="csv")
    assert table["nid"][0] == 2**63 - 1
    assert table["label"][0] == "Réunion €"
    assert table["name"][3] == "a&b<c>"
    assert table["ra"].mask[1] and math.isnan(table["ra"][2])
    assert list(table["flag"][:2]) == ["True", "False"] and table["flag"].mask[2]
    assert table["pos"][0] == "10.5 -30.25"
    assert table["obs_date"][3] == EXPECTED_TIMES[3]


def test_tsv_has_one_line_per_row_even_with_tabs():
    from soxsvo.db.metadata import ColumnMeta

    col = ColumnMeta("s", "char", arraysize="*")
    text = b"".join(write("tsv", [col], [[("a\tb\nc",), (None,)]])).decode()
    assert text.splitlines() == ["s", "a b c", ""]


def test_fits_values_and_nulls():
    with warnings.catch_warnings():
        # astropy reports it turns null logicals into False; that is expected here
        warnings.filterwarnings("ignore", message=".*NULL.*", category=UserWarning)
        table = Table.read(io.BytesIO(_out("fits")), format="fits")
    assert table.meta["QRYSTAT"] == "OVERFLOW"
    assert table["nid"][0] == 2**63 - 1 and table["nid"].mask[2]
    assert table["num"].mask[1] and table["num"][2] == -(2**31) + 1
    assert table["ra"][0] == 10.5 and table["ra"].mask[1] and table["ra"].mask[2]  # NaN = null
    assert list(table["pos"][0]) == [10.5, -30.25]
    # variable-length strings are 1PA heap columns: astropy gives character arrays
    assert "".join(np.asarray(table["name"][0]).view(np.ndarray).tolist()) == "SN 2024abc"
    assert "".join(table["obs_date"][0]) == EXPECTED_TIMES[0]
    assert list(table["region"][2]) == ROWS[2][8]
    assert table["ra"].unit == "deg"
