"""STILTS coneskymatch, the multi-cone search TOPCAT runs, against /scs."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest
from astropy.table import Table


def test_multi_cone_finds_each_transient(vo, tmp_path):
    if shutil.which("stilts") is None:
        pytest.skip("stilts (Debian package stilts) is not installed")
    with psycopg.connect(vo.settings.database_url) as conn:
        rows = conn.execute("SELECT transient_id, ra, dec FROM marshall.transient "
                            "ORDER BY transient_id LIMIT 3").fetchall()
    Table(rows=rows, names=("wanted", "ra", "dec")).write(tmp_path / "in.csv")
    done = subprocess.run(
        ["stilts", "coneskymatch", f"in={tmp_path / 'in.csv'}", "ifmt=csv", "ra=ra", "dec=dec",
         "sr=0.0003", "servicetype=cone", f"serviceurl={vo.url}/scs/marshall.transient",
         "find=best", f"out={tmp_path / 'out.csv'}", "ofmt=csv"],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    found = Table.read(tmp_path / "out.csv", format="csv")
    assert sorted(found["wanted"]) == sorted(found["transient_id"]) == sorted(r[0] for r in rows)
