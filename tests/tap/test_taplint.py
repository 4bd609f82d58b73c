"""STILTS taplint against `soxsvo serve` on the demo archive: no errors, no failures beyond
the ones explained in docs/taplint.md."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

#: Reports explained in docs/taplint.md (the issue allows leaving ObsLocTAP out).
EXPLAINED = {
    "F-LOC-NOTP": "no ivoa.obsplan table yet (ObsLocTAP comes with the observing schedule)",
    "E-OBS-TYPX": "s_region is a DALI polygon (double array), taplint wants an STC-S string",
}


@pytest.mark.skipif(shutil.which("stilts") is None, reason="STILTS (Debian package stilts) "
                    "is not installed")
def test_taplint_reports_no_unexplained_errors_or_failures(served_demo) -> None:
    result = subprocess.run(
        ["stilts", "taplint", f"tapurl={served_demo}/tap", "report=EF", "maxrepeat=3"],
        capture_output=True, text=True, timeout=900,
    )
    reports = re.findall(r"^([EF]-[A-Z]{3}-[A-Z]{4})-\d+ (.*)$", result.stdout, re.MULTILINE)
    unexplained = [f"{code}: {text}" for code, text in reports if code not in EXPLAINED]
    assert "Totals:" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    assert not unexplained, "\n".join(unexplained)
