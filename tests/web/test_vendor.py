"""Front-end libraries come from package.json's node_modules, served by soxsvo itself."""

from __future__ import annotations

import pytest

from soxsvo.web.vendor import VENDOR_FILES


@pytest.mark.parametrize("name", sorted(VENDOR_FILES))
def test_each_shipped_library_is_served_as_javascript(client, name):
    response = client.get(f"/vendor/{name}")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert len(response.data) > 10_000
    assert "max-age=86400" in response.headers["Cache-Control"]


def test_node_modules_is_not_browsable(client):
    assert client.get("/vendor/package.json").status_code == 404
    assert client.get("/vendor/..%2Fpackage.json").status_code == 404
