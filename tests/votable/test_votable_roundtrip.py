"""Every VOTable serialisation reads back through astropy with the same values and nulls."""

import io
import math

import numpy as np
import pytest
from astropy.io import votable
from conftest import COLUMNS, EXPECTED_TIMES, ROWS

from soxsvo.formats import write


def _read(data: bytes):
    return votable.parse_single_table(io.BytesIO(data)).to_table()


def _is_null(column, k) -> bool:
    mask = getattr(column, "mask", None)
    return bool(np.all(mask[k])) if mask is not None else False


@pytest.mark.parametrize("fmt", ["votable/b2", "votable/b", "votable/td"])
def test_values_and_nulls_survive(fmt):
    table = _read(b"".join(write(fmt, COLUMNS, [ROWS[:1], ROWS[1:]])))
    assert table.colnames == [c.name for c in COLUMNS]
    assert table["ra"].unit == "deg"
    for k, row in enumerate(ROWS):
        ra, nid, num, name, label, _, flag, pos, region = row
        # astropy reports NaN floats as masked: null and NaN look alike to users
        if ra is None or math.isnan(ra):
            assert _is_null(table["ra"], k)
        else:
            assert table["ra"][k] == ra
        for col, value in (("nid", nid), ("num", num), ("flag", flag)):
            assert _is_null(table[col], k) == (value is None)
            if value is not None:
                assert table[col][k] == value
        # astropy does not mask strings: a null string reads as ""
        assert table["name"][k] == (name or "")
        assert table["label"][k] == (label or "")
        assert table["obs_date"][k] == (EXPECTED_TIMES[k] or "")
        if pos is None:
            assert _is_null(table["pos"], k)
        else:
            assert list(table["pos"][k]) == pos
        assert list(table["region"][k]) == (region or [])


def test_char_is_ascii_other_characters_become_question_marks():
    from soxsvo.db.metadata import ColumnMeta

    col = ColumnMeta("name", "char", arraysize="*")
    for fmt in ("votable/b2", "votable/td"):
        table = _read(b"".join(write(fmt, [col], [[("Réunion",)]])))
        assert table["name"][0] == "R?union"
