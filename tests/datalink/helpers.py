"""Shared checks of the DataLink tests: STILTS votlint and DALI error documents."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from astropy.io import votable


def votlint(document: bytes) -> str:
    """STILTS votlint's messages about ``document`` (empty when it finds nothing wrong)."""
    if shutil.which("stilts") is None:
        pytest.skip("stilts (Debian package stilts) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.vot"
        path.write_bytes(document)
        done = subprocess.run(["stilts", "votlint", f"votable={path}"], capture_output=True,
                              text=True, timeout=180, check=False)
    return (done.stdout + done.stderr).strip()


def dali_error(document: bytes) -> str:
    """The message of a DALI error VOTable (QUERY_STATUS=ERROR), failing if it is not one."""
    parsed = votable.parse(io.BytesIO(document), verify="ignore")
    status = [info for info in parsed.resources[0].infos if info.name == "QUERY_STATUS"]
    assert status and status[0].value == "ERROR", document[:300]
    return status[0].content or ""


def by_semantics(links, term: str):
    """pyvo's ``bysemantics`` without narrower terms: those need the IVOA vocabulary from the
    network, which a test machine may not reach."""
    return links.bysemantics(term, include_narrower=False)
