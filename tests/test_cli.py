"""The soxsvo command: help for every subcommand, and user errors end with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from soxsvo.cli import main

SUBCOMMANDS = [
    ["serve"], ["health"], ["demo"], ["db"], ["db", "init"], ["db", "upgrade"], ["db", "status"],
    ["db", "shell"], ["db", "check"], ["ingest"], ["validate"], ["adql"], ["watch"],
    ["user"], ["user", "add"], ["user", "list"], ["user", "grant"], ["user", "revoke"],
    ["user", "token"], ["user", "passwd"], ["night"], ["night", "plan"], ["night", "replan"],
    ["night", "show"], ["night", "record"],
]


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("serve", "demo", "db", "ingest", "validate", "adql"):
        assert f"  {name} " in result.output


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_says_what_it_does_in_one_line(words: list[str]) -> None:
    result = CliRunner().invoke(main, [*words, "--help"])
    assert result.exit_code == 0
    summary = result.output.split("\n\n")[1].strip()
    assert summary and "\n" not in summary and summary.endswith(".")


def test_bad_configuration_is_one_line_and_exit_code_2(tmp_path) -> None:
    env = {"SOXSVO_PORT": "not-a-number", "SOXSVO_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "soxsvo.cli", "db", "status"],
                            env=env | {"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "soxsvo: error: environment variable SOXSVO_PORT: must be int (like 8000), "
        "got 'not-a-number'"
    )


def test_unreachable_external_database_is_a_clear_error(tmp_path) -> None:
    env = {"SOXSVO_DATABASE_URL": f"host={tmp_path} port=1 dbname=x connect_timeout=2",
           "SOXSVO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "soxsvo.cli", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("soxsvo: error: cannot connect to SOXSVO_DATABASE_URL")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--role", "watch"], ["--role", "web", "--watch", "in"],
                                  ["--watch", "in"]], ids=" ".join)
def test_serve_watch_folder_only_with_role_watch(args: list[str], tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "soxsvo.cli", "serve", *args],
                            env={"PATH": "/usr/bin:/bin", "SOXSVO_DATA_DIR": str(tmp_path),
                                 "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--watch DIR goes with --role watch" in result.stderr
