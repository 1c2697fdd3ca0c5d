"""`policy` in the console: which rule of examples/policy.yml covers each demo-world ENI."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.console.app import run_console
from bot.console.policy_view import coverage_lines
from bot.console.users import console_workspace
from bot.policy import default_policy, load_policy
from bot.sim.ecs.fixture import demo_world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/policy.yml"
IN_FREEZE = datetime(2027, 12, 24, tzinfo=UTC)


def _line(lines: list[str], name: str) -> str:
    (found,) = [line for line in lines if f"({name})" in line]
    return found


def test_the_console_shows_which_rule_of_the_example_covers_each_eni() -> None:
    out = io.StringIO()
    settings = Settings(_env_file=None, policy_file=str(EXAMPLE))
    code = run_console(
        settings, demo=False, db=None, stdin=io.StringIO("policy\npolicy cn-shanghai\n"), stdout=out
    )
    transcript = out.getvalue()
    assert code == 0, transcript
    lines = transcript.splitlines()
    assert any(f"Approval policy: {EXAMPLE} (5 rules, 1 freeze)" in line for line in lines)
    assert "Rule prod: 2 approvals from @lead or @lead2" in _line(lines, "web-1-app")
    assert 'refused: Rule "k8s-pods" refuses' in _line(lines, "pod-a")
    assert "Rule database: 1 approval from @S0DBA" in _line(lines, "db-replication")
    assert "Rule catch-all: 1 approval from @lead or @lead2" in _line(lines, "tiny-proxy-egress")
    # `policy cn-shanghai` lists that region's ENIs again, and only those.
    assert sum("(web-sh-1-app)" in line for line in lines) == 2
    assert sum("(web-1-app)" in line for line in lines) == 1


def test_coverage_names_a_freeze_in_force_and_the_default_rule() -> None:
    world = demo_world()
    enis = {"cn-hangzhou": world.network_interfaces("cn-hangzhou")}
    names = console_workspace().users
    frozen = coverage_lines(load_policy(EXAMPLE), enis, names=names, now=IN_FREEZE)
    assert "2 approvals from @S0CHANGEBOARD (freeze year-end in force)" in _line(
        frozen, "web-1-app"
    )
    plain = coverage_lines(
        default_policy(approvers=["U0LEAD"], approvals=1), enis, names=names, now=IN_FREEZE
    )
    assert "default rule" in plain[0]
    assert "Rule default: 1 approval from @lead" in _line(plain, "web-1-app")
