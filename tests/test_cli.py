"""`eni-bot` as a user runs it: a real process, its exit code and what it prints on stderr."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The commands of CONTRACT.md that `--help` must offer.
CONTRACT_COMMANDS = ("serve", "socket", "worker", "console", "ecs-sim", "db")
SECRET = "xoxb-sentinel-bot-token"


def _eni_bot() -> list[str]:
    """The installed console script next to this Python, else `python -m bot`."""
    beside = Path(sys.executable).with_name("eni-bot")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("eni-bot")
    return [found] if found else [sys.executable, "-m", "bot"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run eni-bot in the test's working directory with the (cleaned) environment."""
    return subprocess.run(
        [*_eni_bot(), *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_no_command_names_the_commands_in_one_line_and_exits_2() -> None:
    result = run()
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "serve" in result.stderr
    assert "ecs-sim" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["db", "frob"], ["serve", "--port", "abc"], ["serve", "--port", "99999"], ["serve"]],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_serve_requires_cloud_keys() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ENIBOT_APPROVERS": "U1"}
    result = run("serve", env=env)
    assert result.returncode == 2
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr


def test_unparseable_database_url_is_one_line_without_echoing_it() -> None:
    result = run("db", "upgrade", env={"ENIBOT_DATABASE_URL": "nope://:hunter2@"})
    assert result.returncode == 2
    assert "ENIBOT_DATABASE_URL" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_exits_2() -> None:
    result = run("explode")
    assert result.returncode == 2
    assert "explode" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_contract_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in CONTRACT_COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ENIBOT_POLL_INTERVAL", "-1"),
        ("ENIBOT_REQUIRED_APPROVALS", "zero"),
        ("ENIBOT_APPROVERS", "alice"),
        ("ENIBOT_ALLOWED_REGIONS", "Hangzhou"),
    ],
)
def test_bad_config_exits_2_with_one_line_naming_the_variable(variable: str, value: str) -> None:
    result = run("worker", env={variable: value, "SLACK_BOT_TOKEN": SECRET})
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_bad_config_in_dotenv_exits_2_naming_the_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ENIBOT_POLL_INTERVAL=-1\n")
    result = run("worker")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "ENIBOT_POLL_INTERVAL" in result.stderr


def test_db_without_an_action_exits_2() -> None:
    result = run("db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
