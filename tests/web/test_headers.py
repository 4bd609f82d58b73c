"""Security headers on every answer (hardening, item 11): a Content-Security-Policy that runs no
inline script, no framing, ``nosniff`` (DAL answers included), ``Referrer-Policy``; and no
template that would need an inline script."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

import soxsvo

TEMPLATES = sorted(Path(soxsvo.__file__).parent.rglob("*.html"))


def _public_dp_id(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT dp_id FROM ivoa.obscore WHERE obs_release_date <= now() "
                            "AT TIME ZONE 'UTC' ORDER BY dp_id LIMIT 1").fetchone()[0]


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


@pytest.mark.parametrize(("path", "status", "mimetype"), [
    ("/", 200, "text/html"),
    ("/login", 200, "text/html"),
    ("/archive?target=nothing-here", 200, "text/html"),
    ("/health", 200, "application/json"),
    ("/tap/sync?LANG=ADQL&QUERY=SELECT+TOP+1+obs_publisher_did+FROM+ivoa.obscore", 200,
     "application/x-votable+xml"),
    ("/tap/sync?LANG=ADQL&QUERY=SELEC+nonsense", 400, "application/x-votable+xml"),
    ("/tap/capabilities", 200, "text/xml"),
    ("/files/{public}", 200, "application/fits"),
    ("/preview/{public}.png", 200, "image/png"),
    ("/static/soxsvo.css", 200, "text/css"),
    ("/api/openapi.json", 200, "application/json"),
    ("/no/such/page", 404, "text/html"),
    ("/vendor/no-such-library.js", 404, "text/html"),
])
def test_every_answer_carries_the_security_headers(client, demo_archive, path, status,
                                                   mimetype) -> None:
    path = path.format(public=_public_dp_id(demo_archive.database_url))
    answer = client.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == mimetype
    headers = answer.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    csp = _directives(headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    for forbidden in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert forbidden not in csp["script-src"], forbidden
    assert csp["default-src"] == ["'self'"]


def test_refused_credentials_carry_the_headers_too(client) -> None:
    answer = client.get("/tap/sync?LANG=ADQL&QUERY=SELECT+1",
                        headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_an_inline_script_or_event_handler(template: Path) -> None:
    text = template.read_text()
    for tag, body in re.findall(r"(<script\b[^>]*>)(.*?)</script>", text, flags=re.I | re.S):
        if 'type="application/json"' in tag:
            continue  # data for a script, never run
        assert re.search(r"\bsrc=", tag) and not body.strip(), tag
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), "event-handler attribute"
    assert "javascript:" not in text.lower()
    assert not re.search(r"\sstyle\s*=", text, flags=re.I), "style attribute"
