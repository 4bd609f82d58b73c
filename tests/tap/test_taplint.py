"""STILTS taplint against `soxsvo serve` on the demo archive: no errors, no failures (the LOC
stage included: the demo night publishes scheduled and performed rows in ivoa.obsplan), and
every warning explained in docs/taplint.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

#: No failure is allowed: ObsLocTAP (ivoa.obsplan) is published since the night plans.
ALLOWED_FAILURES: set[str] = set()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "taplint.md"


@pytest.mark.skipif(shutil.which("stilts") is None, reason="STILTS (Debian package stilts) "
                    "is not installed")
def test_taplint_no_errors_no_failures_and_warnings_explained(served_demo) -> None:
    result = subprocess.run(
        ["stilts", "taplint", f"tapurl={served_demo}/tap", "report=EWF", "maxrepeat=3"],
        capture_output=True, text=True, timeout=900,
    )
    assert "Totals:" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    print(result.stdout[result.stdout.index("Totals:"):])  # shown with pytest -s
    # Report codes may hold digits (W-CAP-CPI2): [A-Z0-9], or such reports go unchecked.
    reports = re.findall(r"^([EWF])-([A-Z]{3}-[A-Z0-9]{4})-\d+ (.*)$", result.stdout,
                         re.MULTILINE)
    errors = [f"E-{code}: {text}" for kind, code, text in reports if kind == "E"]
    failures = [f"F-{code}: {text}" for kind, code, text in reports
                if kind == "F" and f"F-{code}" not in ALLOWED_FAILURES]
    explained = DOCS.read_text(encoding="utf-8")
    unexplained = [f"W-{code}: {text}" for kind, code, text in reports
                   if kind == "W" and f"W-{code}" not in explained]
    assert not errors, "\n".join(errors)
    assert not failures, "\n".join(failures)
    assert not unexplained, "warnings not explained in docs/taplint.md:\n" + "\n".join(
        unexplained)
    assert "F-LOC-NOTP" not in result.stdout


@pytest.mark.skipif(shutil.which("stilts") is None, reason="STILTS (Debian package stilts) "
                    "is not installed")
def test_taplint_loc_stage_reads_the_published_obsplan(served_demo) -> None:
    result = subprocess.run(
        # LOC reads the table metadata the TMS stage collects, and the capabilities (CAP).
        ["stilts", "taplint", f"tapurl={served_demo}/tap", "stages=TMS CAP LOC",
         "report=EWFS"],
        capture_output=True, text=True, timeout=300,
    )
    loc = [line for line in result.stdout.splitlines() if "-LOC-" in line]
    print("\n".join(loc))  # shown with pytest -s
    assert loc, result.stdout[-2000:] + result.stderr[-2000:]
    assert not [line for line in loc if line.startswith(("E-", "F-", "W-"))], "\n".join(loc)
    assert any(line.startswith("S-LOC-PCLS") and "ivoa.obsplan columns: 26/26 required"
               in line for line in loc), "\n".join(loc)
