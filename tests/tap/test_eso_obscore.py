"""The ObsCore queries ESO archive users send (the X1_obscore_eso collection of
../shared/conformance) through /tap/sync on the demo archive's ivoa.obscore.

Every query on ivoa.obscore in standard ADQL runs unchanged. The ones that need ESO's own
tables (``dbo.raw``, ``phase3v2.provenance``) or ESO's functions (``ESO_INTERSECTION``,
``eso_dateadd_sec``) are refused with a DALI error naming what this service lacks."""

from __future__ import annotations

import io
import re

import pytest
from astropy.io import votable

from tests.adql.conformance import SKIP_REASON, load_cases

CASES = [case for case in load_cases("*/X1_obscore_eso.xml") if case.valid]
#: ESO-only tables (used in FROM/JOIN, not merely named in a string) and functions, each with
#: what the error message says.
ESO_ONLY = {r"(from|join)\s+phase3v2\.provenance": "unknown table 'phase3v2.provenance'",
            r"(from|join)\s+dbo\.raw": "unknown table 'dbo.raw'",
            r"eso_intersection\s*\(": "unknown function 'eso_intersection'",
            r"eso_dateadd_sec\s*\(": "unknown function 'eso_dateadd_sec'"}


def _eso_only(adql: str) -> list[str]:
    return [message for pattern, message in ESO_ONLY.items()
            if re.search(pattern, adql, re.IGNORECASE)]


def _run(client, adql: str):
    return client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": adql, "MAXREC": "50"})


@pytest.mark.skipif(not CASES, reason=SKIP_REASON)
@pytest.mark.parametrize("case", [c for c in CASES if not _eso_only(c.adql)],
                         ids=lambda c: c.ident)
def test_eso_obscore_query_runs_unchanged(client, case) -> None:
    answer = _run(client, case.adql)
    assert answer.status_code == 200, answer.get_data(as_text=True)[-600:]
    table = votable.parse_single_table(io.BytesIO(answer.data), verify="ignore")
    assert table.fields


@pytest.mark.skipif(not CASES, reason=SKIP_REASON)
@pytest.mark.parametrize("case", [c for c in CASES if _eso_only(c.adql)],
                         ids=lambda c: c.ident)
def test_eso_only_tables_and_functions_are_named_in_the_error(client, case) -> None:
    answer = _run(client, case.adql)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True).lower()
    assert any(message in text for message in _eso_only(case.adql)), text[-600:]
