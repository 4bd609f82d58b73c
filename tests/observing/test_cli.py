"""``soxsvo night``: plan, re-plan on a ToO, show; bad input is one line and exit code 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from soxsvo.cli import main
from tests.observing.helpers import NIGHT, add_transient, night, seed_sky


@pytest.fixture
def env(db_conninfo, tmp_path) -> dict[str, str]:
    return {"SOXSVO_DATABASE_URL": db_conninfo, "SOXSVO_DATA_DIR": str(tmp_path)}


def _run(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["night", *args], env=env)


def test_plan_replan_show(db_conn, env) -> None:
    seed_sky(db_conn)
    planned = _run(env, "plan", "--date", NIGHT.isoformat())
    assert planned.exit_code == 0, planned.output
    assert f"Night of {NIGHT}: version 1 of 1" in planned.output
    assert "SN2026f0" in planned.output and "airmass" in planned.output
    add_transient(db_conn, "AT2026gw", 70.0, -25.0, list_name="inbox", priority=4)
    now = night().start.replace(tzinfo=None).isoformat()
    replanned = _run(env, "replan", "--date", NIGHT.isoformat(), "--too", "AT2026gw",
                     "--now", now)
    assert replanned.exit_code == 0, replanned.output
    assert "version 2 of 2" in replanned.output and "ToO AT2026gw" in replanned.output
    shown = _run(env, "show", "--date", NIGHT.isoformat(), "--version", "1")
    assert "version 1 of 2" in shown.output and "AT2026gw" not in shown.output


@pytest.mark.parametrize("args, message", [
    (("plan", "--date", "7/12/2026"), "is not a date"),
    (("plan", "--date", NIGHT.isoformat()), "nothing to plan"),
    (("show", "--date", NIGHT.isoformat()), "has no plan"),
    (("replan", "--date", NIGHT.isoformat(), "--too", "S000000"), "has no plan yet"),
])
def test_bad_input_is_one_line_and_exit_code_2(db_conn, env, args, message) -> None:
    result = _run(env, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("soxsvo: error:")
