"""Request bounds (hardening, items 8 and 11): NUL bytes, chunked bodies, deep JSON.

Each is refused before a view runs, in the caller's own form: a DALI error document on the
DAL services, problem details on ``/api``, a styled page in the browser.
"""

from __future__ import annotations

import pytest

from soxsvo.web.guards import json_depth
from tests.support import app_over

DALI_ERROR = b'name="QUERY_STATUS" value="ERROR"'


@pytest.fixture
def client(settings):
    with app_over(settings) as app:
        yield app.test_client()


@pytest.mark.parametrize("path", [
    "/ssa?REQUEST=queryData&TARGETNAME=SN%002026a",
    "/soda/sync?ID=ivo://x%00y&BAND=5e-7/6e-7",
    "/datalink/links?ID=ivo://x%00y",
    "/tap/sync?LANG=ADQL&QUERY=SELECT+%27%00%27+AS+x",
    "/tap/async?PHASE=RUN%00",
])
def test_nul_byte_is_a_dali_400(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert DALI_ERROR in response.data and b"NUL byte" in response.data


def test_nul_byte_on_a_page_is_a_styled_400(client) -> None:
    response = client.get("/archive?target=SN%002026a")
    assert response.status_code == 400
    assert response.mimetype == "text/html" and b"SOXS archive" in response.data


def _chunked(client, body: bytes):
    import io

    # gunicorn marks a chunked body with wsgi.input_terminated; the test client does not.
    return client.post("/tap/sync", input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked",
                                "Content-Type": "application/x-www-form-urlencoded"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_chunked_body_within_the_limit_is_read_whole(client) -> None:
    # STILTS and TOPCAT send uploads this way: the body must arrive complete.
    response = _chunked(client, b"LANG=ADQL&RESPONSEFORMAT=csv&QUERY=SELECT+TOP+1+schema_name"
                                b"+FROM+tap_schema.schemas")
    assert response.status_code == 200 and response.data.startswith(b"schema_name")


def test_chunked_body_over_the_limit_is_refused_not_cut(client) -> None:
    client.application.config["MAX_CONTENT_LENGTH"] = 1000
    response = _chunked(client, b"LANG=ADQL&QUERY=SELECT+1+AS+x&PAD=" + b"x" * 5000)
    assert response.status_code == 413 and DALI_ERROR in response.data


def test_json_depth_skips_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
