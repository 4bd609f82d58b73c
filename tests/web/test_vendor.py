"""Front-end libraries come from package.json's node_modules, served by soxsvo itself."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from soxsvo.config import load_settings
from soxsvo.web import vendor
from soxsvo.web.app import create_app
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


# -- the node_modules setting (SOXSVO_NODE_MODULES) -------------------------------------------
def _app(tmp_path: Path, **env: str):
    """An application whose settings add ``env``; /vendor needs no database."""
    settings = load_settings({"SOXSVO_DATA_DIR": str(tmp_path / "data"),
                              "SOXSVO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                              **env})
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def test_node_modules_is_a_declared_setting_empty_by_default(tmp_path):
    assert load_settings({"SOXSVO_DATA_DIR": str(tmp_path)}).node_modules == ""
    settings = load_settings({"SOXSVO_DATA_DIR": str(tmp_path),
                              "SOXSVO_NODE_MODULES": "/opt/soxsvo/node_modules"})
    assert settings.node_modules == "/opt/soxsvo/node_modules"


def test_libraries_are_served_from_the_configured_folder(tmp_path):
    folder = tmp_path / "libs"
    (folder / "sampjs").mkdir(parents=True)
    (folder / "sampjs" / "samp.js").write_text("var samp = 'from the setting';\n")
    response = _app(tmp_path, SOXSVO_NODE_MODULES=str(folder)).test_client().get(
        "/vendor/samp.js")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "var samp = 'from the setting';\n"


def test_a_relative_setting_is_taken_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "libs" / "sampjs").mkdir(parents=True)
    (tmp_path / "libs" / "sampjs" / "samp.js").write_text("// relative\n")
    monkeypatch.chdir(tmp_path)
    client = _app(tmp_path, SOXSVO_NODE_MODULES="libs").test_client()
    assert client.get("/vendor/samp.js").get_data(as_text=True) == "// relative\n"


def test_missing_library_in_configured_folder_says_how_to_install_it(tmp_path):
    response = _app(tmp_path, SOXSVO_NODE_MODULES=str(tmp_path)).test_client().get(
        "/vendor/aladin.js")
    assert response.status_code == 503
    text = html.unescape(response.get_data(as_text=True))
    assert f"SOXSVO_NODE_MODULES) is {tmp_path}, which does not hold aladin-lite/dist/aladin.js" \
        in text
    assert "run npm install in a soxsvo checkout" in text


def test_missing_library_in_checkout_says_run_npm_install_there(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor, "CHECKOUT", tmp_path / "checkout")
    response = _app(tmp_path).test_client().get("/vendor/plotly.min.js")
    assert response.status_code == 503
    text = html.unescape(response.get_data(as_text=True))
    assert f"run npm install in {tmp_path / 'checkout'}" in text
    assert "or set SOXSVO_NODE_MODULES" in text


def test_installed_without_checkout_the_message_asks_for_the_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor, "CHECKOUT", None)
    response = _app(tmp_path).test_client().get("/vendor/samp.js")
    assert response.status_code == 503
    text = html.unescape(response.get_data(as_text=True))
    assert "soxsvo does not run from a checkout, so set SOXSVO_NODE_MODULES" in text
