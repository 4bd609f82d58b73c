"""SAMP: each recipient gets the message its subscriptions call for, with string values, and
the URL it gets downloads the archived file."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from pyvo.samp import SAMPHubServer

from soxsvo.cli import main
from soxsvo.samp import choose_mtype, messages
from tests.samp.listener import Listener


@pytest.fixture
def hub(tmp_path: Path, monkeypatch):
    lockfile = tmp_path / "samp.lock"
    server = SAMPHubServer(web_profile=False, lockfile=str(lockfile), mode="single")
    server.start()
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{lockfile}")
    listeners: list[Listener] = []
    yield listeners
    for listener in listeners:
        listener.client.disconnect()
    server.stop()


@pytest.fixture
def tools(hub):
    """SPLAT-, TOPCAT- and Aladin-like clients subscribed as docs/samp.md describes them."""
    made = {
        "splat": Listener("splat", ["spectrum.load.ssa-generic", "table.load.votable"]),
        "topcat": Listener("topcat", ["table.load.votable", "table.load.fits"]),
        "aladin": Listener("aladin", ["table.load.votable", "table.load.fits",
                                      "image.load.fits", "coord.pointAt.sky"]),
    }
    hub.extend(made.values())
    return made


def _run(*args: str):
    return CliRunner().invoke(main, ["samp", "send", *args])


def _settle(tools, seconds: float = 0.5) -> None:
    # Notifications are asynchronous: give the hub time to deliver (or not deliver) them.
    time.sleep(seconds)


def test_spectrum_goes_to_splat_as_spectrum_and_to_topcat_as_table(tools, live_server,
                                                                  demo_archive) -> None:
    with psycopg.connect(demo_archive.database_url) as conn:
        dp_id = conn.execute(
            "SELECT dp_id FROM ivoa.obscore WHERE obs_release_date <= now() AT TIME ZONE 'UTC' "
            "ORDER BY 1 LIMIT 1").fetchone()[0]
        path = Path(conn.execute("SELECT file_path FROM soxs.product WHERE dp_id = %s",
                                 (dp_id,)).fetchone()[0])
    url = f"{live_server}/files/{dp_id}"
    result = _run("spectrum", url, "--name", "SN 2026abc")
    assert result.exit_code == 0, result.output
    assert tools["splat"].wait() and tools["topcat"].wait()
    _settle(tools)
    (mtype, params), = tools["splat"].received
    assert mtype == "spectrum.load.ssa-generic"
    assert params["url"] == url and params["name"] == "SN 2026abc"
    assert params["meta"]["Access.Format"] == "application/fits"
    assert tools["topcat"].received[0][0] == "table.load.fits"
    assert tools["aladin"].received == []
    with urllib.request.urlopen(params["url"]) as response:
        assert response.read() == path.read_bytes()


def test_table_to_everyone_subscribed_and_to_one_by_name(tools) -> None:
    assert _run("table", "http://example.invalid/t.vot").exit_code == 0
    for tool in tools.values():
        assert tool.wait()
        assert tool.received[0][0] == "table.load.votable"
    result = _run("table", "http://example.invalid/u.vot", "--to", "TOPCAT")
    assert result.exit_code == 0 and "topcat" in result.output
    _settle(tools)
    assert [len(t.received) for t in tools.values()] == [1, 2, 1]


def test_image_and_point_go_to_aladin_only_with_string_values(tools) -> None:
    assert _run("image", "http://example.invalid/i.fits").exit_code == 0
    assert _run("point", "359.5", "-89.25").exit_code == 0
    _settle(tools)
    assert tools["splat"].received == [] and tools["topcat"].received == []
    got = dict(tools["aladin"].received)
    assert got["image.load.fits"]["url"] == "http://example.invalid/i.fits"
    assert got["coord.pointAt.sky"] == {"ra": "359.5", "dec": "-89.25"}


def test_nobody_takes_it_and_unknown_client(tools) -> None:
    result = _run("spectrum", "http://example.invalid/s.fits", "--to", "aladin")
    assert result.exit_code == 1 and "does not accept a spectrum" in result.output
    result = _run("point", "1", "2", "--to", "ds9")
    assert result.exit_code == 1 and "no SAMP client named 'ds9'" in result.output


def test_no_hub_is_one_message_and_exit_2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path / 'none.lock'}")
    monkeypatch.setenv("HOME", str(tmp_path))
    result = _run("point", "10", "20")
    assert result.exit_code == 2
    assert "no SAMP hub is running" in result.output
    assert "Traceback" not in result.output


def test_messages_are_strings_and_aladin_never_gets_spectra() -> None:
    spectrum = messages("spectrum", url="http://x/s.fits")
    assert list(spectrum) == ["spectrum.load.ssa-generic", "table.load.fits"]
    aladin = {"table.load.votable", "table.load.fits", "image.load.fits", "coord.pointAt.sky"}
    assert choose_mtype("spectrum", aladin, list(spectrum)) is None
    assert choose_mtype("spectrum", {"table.load.fits"}, list(spectrum)) == "table.load.fits"
    point = messages("point", ra=10, dec=-5.5)["coord.pointAt.sky"]
    assert point == {"ra": "10.0", "dec": "-5.5"}
    with pytest.raises(ValueError):
        messages("point", ra=400, dec=0)
