"""STILTS coneskymatch in its SIA 2 mode (what TOPCAT's multi-SIA runs) against /sia."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from astropy.table import Table


def test_multi_sia_finds_the_public_image_only(vo, tmp_path):
    if shutil.which("stilts") is None:
        pytest.skip("stilts (Debian package stilts) is not installed")
    (image,) = vo.of_type("image", released=True)
    Table(rows=[(image.ra, image.dec), (10.0, -80.0)], names=("ra", "dec")).write(
        tmp_path / "in.csv")
    done = subprocess.run(
        ["stilts", "coneskymatch", f"in={tmp_path / 'in.csv'}", "ifmt=csv", "ra=ra", "dec=dec",
         "sr=0.01", "servicetype=sia2", f"serviceurl={vo.url}/sia/query", "find=all",
         f"out={tmp_path / 'out.csv'}", "ofmt=csv"],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    found = Table.read(tmp_path / "out.csv", format="csv")
    assert list(found["obs_publisher_did"]) == [image.did]
