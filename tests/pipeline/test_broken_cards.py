"""A header card that cannot be parsed is a rule violation and exit 2, never a traceback.

Hardening (issue 22, item 11): a product whose FITS header holds a card astropy cannot parse
(a number with two decimal points, a string without its closing quote) must be reported by
``soxsvo validate`` as a broken rule and rejected by ``soxsvo ingest`` with its reason, the file
left where it was.
"""

from __future__ import annotations

import io
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from test_ingest_support import sums, write_tiny

from soxsvo.cli import main as cli
from soxsvo.phase3.validate import main as validate
from tests import fuzzing

BROKEN_VALUES = {
    "number": b"61000.1.2",
    "string": b"'never closed",
}


def _break_card(path: Path, keyword: bytes, value: bytes) -> None:
    """Overwrite the value of the 80-byte card ``keyword`` in the primary header, in place."""
    raw = bytearray(path.read_bytes())
    start = next(i for i in range(0, 2880 * 4, 80) if raw[i:i + 8] == keyword.ljust(8))
    raw[start:start + 80] = (keyword.ljust(8) + b"= " + value).ljust(80)
    path.write_bytes(bytes(raw))


#: A card every rule reads, and the one that decides which rules apply (found by the fuzzer).
BROKEN_KEYWORDS = ["EXPTIME", "PRODCATG"]


@pytest.fixture(params=[(k, v) for k in BROKEN_KEYWORDS for v in sorted(BROKEN_VALUES)],
                ids=lambda p: "-".join(p))
def broken(request, tmp_path) -> Path:
    keyword, kind = request.param
    path = write_tiny(tmp_path / "in", 0)
    _break_card(path, keyword.encode(), BROKEN_VALUES[kind])
    path.with_suffix(".keyword").write_text(keyword)
    return path


def test_validate_reports_the_card_and_exits_2(broken: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert "INVALID" in result.output and "P3-FILE-003" in result.output
    assert broken.with_suffix(".keyword").read_text() in result.output


def test_ingest_rejects_and_keeps_the_file(broken: Path, settings, db_conninfo) -> None:
    before = sums([broken])
    env = {"SOXSVO_DATA_DIR": str(settings.data_path), "SOXSVO_DATABASE_URL": db_conninfo}
    result = CliRunner().invoke(cli, ["ingest", "--workers", "1", str(broken)], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "1 rejected" in result.output
    assert broken.with_suffix(".keyword").read_text() in result.output
    assert sums([broken]) == before
    with psycopg.connect(db_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM soxs.product").fetchone()[0] == 0


def test_malformed_fits_is_invalid_never_a_traceback(tmp_path: Path) -> None:
    good = write_tiny(tmp_path / "good", 0)
    failures = []
    for index, raw in enumerate(fuzzing.malformed_fits(11, 60, good)):
        path = tmp_path / f"bad_{index}.fits"
        path.write_bytes(raw)
        out, err = io.StringIO(), io.StringIO()
        try:
            code = validate([str(path)], out=out, err=err)
        except Exception as error:  # noqa: BLE001 - what the user would see as a traceback
            failures.append((index, repr(error)))
            continue
        if code not in (0, 2) or "Traceback" in out.getvalue() + err.getvalue():
            failures.append((index, code, err.getvalue()[:200]))
    assert failures == []
