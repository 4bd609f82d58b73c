"""pyvo reads the capabilities document without a warning (the suite turns warnings into
errors): every capability, TAP's and SSA's, parses as pyvo's VOSI model expects."""

from __future__ import annotations

import pyvo


def test_pyvo_parses_capabilities_without_warnings(live_server):
    service = pyvo.dal.TAPService(f"{live_server}/tap")
    standards = {capability.standardid for capability in service.capabilities}
    assert "ivo://ivoa.net/std/TAP" in standards
    assert any(s.startswith("ivo://ivoa.net/std/SSA") for s in standards)
