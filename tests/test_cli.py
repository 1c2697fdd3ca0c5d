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


# -- eni-bot policy check, and the policy file at start --------------------------------------

EXAMPLE_POLICY = Path(__file__).resolve().parents[1] / "examples/policy.yml"
BAD_POLICY = """\
rules:
  - name: prod
    match:
      tags: {env: prod}
      region: [cn-hangzhou]
    approvals: 0
  - match: {}
"""
BAD_POLICY_LINES = [
    'bad.yml:5: rule 1 "prod": match.region: unknown field; expected one of operations,'
    " regions, tags, vpcs, vswitches, instances",
    'bad.yml:6: rule 1 "prod": approvals: should be greater than or equal to 1 (got 0)',
    "bad.yml:7: rule 2: name: is required",
]


def test_help_lists_the_policy_command() -> None:
    result = run("--help")
    assert "policy" in result.stdout


def test_policy_check_of_a_good_file_is_one_summary_line_and_exit_0() -> None:
    result = run("policy", "check", str(EXAMPLE_POLICY))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{EXAMPLE_POLICY}: 5 rules, 1 freeze, OK\n"


def test_policy_check_of_a_bad_file_is_one_line_per_problem_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD_POLICY)
    result = run("policy", "check", "bad.yml")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == BAD_POLICY_LINES


def test_policy_check_reads_enibot_policy_file_by_default(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD_POLICY)
    result = run("policy", "check", env={"ENIBOT_POLICY_FILE": "bad.yml"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == BAD_POLICY_LINES
    # A FILE argument wins over the variable.
    good = run("policy", "check", str(EXAMPLE_POLICY), env={"ENIBOT_POLICY_FILE": "bad.yml"})
    assert good.returncode == 0


def test_policy_check_uses_enibot_approvers_for_rules_that_name_none(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("rules:\n  - name: all\n    match: {}\n")
    without = run("policy", "check", "p.yml")
    assert without.returncode == 2
    assert without.stderr == (
        'p.yml:2: rule 1 "all": names no approvers and ENIBOT_APPROVERS is empty; add `approvers`\n'
    )
    with_approvers = run("policy", "check", "p.yml", env={"ENIBOT_APPROVERS": "U0LEAD"})
    assert (with_approvers.returncode, with_approvers.stdout) == (
        0,
        "p.yml: 1 rule, 0 freezes, OK\n",
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["policy"], "usage: eni-bot policy check [FILE]"),
        (["policy", "check"], "name a FILE or set ENIBOT_POLICY_FILE"),
        (["policy", "check", "missing.yml"], "missing.yml: cannot be read (No such file"),
    ],
)
def test_policy_check_usage_problems_are_one_line_and_exit_2(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


_START_ENV = {
    "SLACK_BOT_TOKEN": SECRET,
    "SLACK_SIGNING_SECRET": "sentinel-signing-secret",
    "SLACK_APP_TOKEN": "xapp-sentinel",
    "ENIBOT_APPROVERS": "U0LEAD",
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "sim-access-key",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sim-access-secret",
    # Nothing listens here: had the command gone on, it would fail, not reach Slack.
    "ENIBOT_SLACK_API_URL": "http://127.0.0.1:9/api/",
    "ENIBOT_ECS_ENDPOINT": "http://127.0.0.1:9",
    "ENIBOT_POLICY_FILE": "bad.yml",
}


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["socket"], ["worker"]])
def test_serving_commands_refuse_a_bad_policy_file_before_anything_starts(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "bad.yml").write_text(BAD_POLICY)
    database = tmp_path / "bot.db"
    env = {**_START_ENV, "ENIBOT_DATABASE_URL": f"sqlite:///{database}"}
    result = run(*command, env=env)
    assert result.returncode == 2
    # The same lines as `eni-bot policy check`, and nothing else.
    assert result.stderr.splitlines() == BAD_POLICY_LINES
    assert SECRET not in result.stderr + result.stdout
    # Refused before the database was touched (migrations run first thing otherwise).
    assert not database.exists()


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
def test_serving_commands_refuse_a_missing_policy_file(tmp_path: Path, command: list[str]) -> None:
    database = tmp_path / "bot.db"
    env = {**_START_ENV, "ENIBOT_DATABASE_URL": f"sqlite:///{database}"}
    result = run(*command, env={**env, "ENIBOT_POLICY_FILE": "gone.yml"})
    assert result.returncode == 2
    assert result.stderr == "gone.yml: cannot be read (No such file or directory)\n"
    assert not database.exists()
