"""A user's mistake is a 400 with a DALI error document, never a 500 (hardening, item 8).

Each query here once produced an HTTP 500 (found by fuzzing ADQL against ``/tap/sync``); the
hypothesis test keeps a bounded fuzzer of geometry arguments in the suite.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soxsvo.config import Settings
from tests.support import app_over

MISTAKES = [
    "SELECT * FROM tap_schema.schemas WHERE 1 = CONTAINS(POINT('ICRS', 10, 10), "
    "CIRCLE('ICRS', 10, 100, 1))",
    "SELECT * FROM tap_schema.schemas WHERE 1 = CONTAINS(POINT('ICRS', 10, 10), "
    "POLYGON('ICRS', 0, -60, 120, -60, 240, -60))",
    "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(1700)) + " FROM tap_schema.schemas",
    "SELECT a.schema_name FROM tap_schema.schemas AS a FULL JOIN tap_schema.schemas AS b "
    "ON DISTANCE(POINT('ICRS', 1, 1), POINT('ICRS', 2, 2)) < 1",
    "SELECT * FROM tap_schema.schemas WHERE schema_name = 'a\x00b'",
    "SELECT BOX(CIRCLE('ICRS', 1, 1, 1), 2, 2) AS b FROM tap_schema.schemas",
    "SELECT * FROM tap_schema.schemas WHERE 1 = CONTAINS(POINT('ICRS', 10, 10), "
    "CIRCLE('ICRS', 10, 10, -1))",
    "SELECT * FROM tap_schema.schemas WHERE 1 = CONTAINS(POINT('ICRS', 10, 95), "
    "CIRCLE('ICRS', 10, 10, 1))",
]


@pytest.fixture
def client(settings: Settings):
    with app_over(settings) as app:
        yield app.test_client()


def _run(client, query: str):
    return client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query,
                                          "RESPONSEFORMAT": "csv"})


@pytest.mark.parametrize("query", MISTAKES, ids=range(len(MISTAKES)))
def test_mistake_is_a_dali_400(client, query: str) -> None:
    response = _run(client, query)
    assert response.status_code in (200, 400), response.data[:500]
    if response.status_code == 400:
        assert b'name="QUERY_STATUS" value="ERROR"' in response.data


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ra=st.floats(-1e3, 1e3, allow_nan=False), dec=st.floats(-1e3, 1e3, allow_nan=False),
       radius=st.floats(-1e3, 1e3, allow_nan=False))
def test_fuzzed_circles_never_500(client, ra: float, dec: float, radius: float) -> None:
    query = ("SELECT * FROM tap_schema.schemas WHERE 1 = CONTAINS(POINT('ICRS', 10, 10), "
             f"CIRCLE('ICRS', {ra!r}, {dec!r}, {radius!r}))")
    assert _run(client, query).status_code in (200, 400)


@pytest.mark.parametrize(("box", "says"), [
    ("BOX('ICRS', 10, 90, 1, 1)", b"pole"),
    ("BOX('ICRS', 10, 0, 200, 1)", b"width"),
    # From a column: PostgreSQL's soxs_adql.box refuses it, row by row.
    ("BOX('ICRS', 10, 90 + column_index * 0, 1, 1)", b"pole"),
])
def test_undefined_box_is_refused_with_a_reason(client, box: str, says: bytes) -> None:
    response = _run(client, "SELECT * FROM tap_schema.columns WHERE 1 = CONTAINS("
                            f"POINT('ICRS', 10, 10), {box})")
    assert response.status_code == 400
    assert b'name="QUERY_STATUS" value="ERROR"' in response.data and says in response.data
