"""``soxsvo user``: add, grant, token, list, revoke, and wrong requests exit with code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import requests


def _soxsvo(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOXSVO_DATA_DIR=str(settings.data_path),
               SOXSVO_DATABASE_URL=settings.database_url)
    return subprocess.run([sys.executable, "-m", "soxsvo.cli", "user", *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_user_lifecycle_on_the_command_line(settings, db_conn) -> None:
    assert _soxsvo(settings, "add", "carla", "--name", "Carla").returncode == 0
    assert _soxsvo(settings, "grant", "carla", "--programme", "117.CCCC.001",
                   "--pi").returncode == 0
    assert _soxsvo(settings, "grant", "carla", "--role", "consortium").returncode == 0
    listed = _soxsvo(settings, "list").stdout
    assert "carla" in listed and "consortium" in listed and "117.CCCC.001 (pi)" in listed
    token = _soxsvo(settings, "token", "carla", "--name", "script", "--days", "7")
    assert token.returncode == 0 and token.stdout.startswith("sxv_")
    token_id = token.stdout.split("_")[1]
    assert token_id in _soxsvo(settings, "token", "carla", "--list").stdout
    stored = db_conn.execute("SELECT secret_hash, expires - created FROM auth.token "
                             "WHERE token_id = %s", (token_id,)).fetchone()
    assert stored[0] not in token.stdout and stored[1].days == 7
    assert _soxsvo(settings, "revoke", "carla", "--token", token_id).returncode == 0
    assert "revoked" in _soxsvo(settings, "token", "carla", "--list").stdout
    assert _soxsvo(settings, "revoke", "carla", "--role", "consortium").returncode == 0
    assert "consortium" not in _soxsvo(settings, "list").stdout


def test_wrong_requests_are_one_line_and_exit_code_2(settings) -> None:
    for args, message in ((("add", "Bad Name"), "login 'Bad Name' must be"),
                          (("grant", "nobody", "--role", "admin"), "no user 'nobody'"),
                          (("token", "nobody"), "no active user"),
                          (("revoke", "nobody", "--role", "admin"), "did not hold"),
                          (("grant", "nobody"), "either a role or a programme")):
        result = _soxsvo(settings, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("soxsvo: error: ")
        assert message in result.stderr and "\n" not in result.stderr.strip()


def test_token_from_the_command_line_works_with_requests(access_archive,
                                                        access_server) -> None:
    result = _soxsvo(access_archive.settings, "token", "member")
    answer = requests.get(f"{access_server}/files/"
                          f"{access_archive.products['consortium'].dp_id}",
                          headers={"Authorization": f"Bearer {result.stdout.strip()}"},
                          timeout=30)
    assert answer.status_code == 200
