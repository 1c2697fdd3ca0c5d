"""The README cannot drift: its quick start is the Makefile's, and its runnable blocks run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)
EXPECTED_OUTPUT = {
    "'/eni help' | make run": "How to use",
    "'click approve 1' | make run": "Available",
    "console --demo": "Available",
    "'click reattach 1'": "Attached: `eni-bp1d7r2k9m4x6c3v5n` is InUse",
    "the move is called off": "Attached: `eni-bp1d7r2k9m4x6c3v5n` is InUse",
    "spare for web-1": "EniPerInstanceLimitExceeded",
    "db upgrade": "database at head",
    "policy check examples/policy.yml": "5 rules, 1 freeze, OK",
}


def _blocks(info: str) -> list[str]:
    return [body for tag, body in FENCE.findall(README) if tag.strip() == info]


def _commands(block: str) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_quick_start_is_exactly_the_two_make_targets() -> None:
    quick_start = README.split("## Quick start", 1)[1]
    first_block = FENCE.search(quick_start)
    assert first_block is not None
    assert _commands(first_block.group(2)) == ["make run", "make test"]


def test_makefile_and_ci_provide_what_the_readme_promises() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)
    assert "eni-bot console" in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"for target in [^\n]*\btest\b", ci)
    assert 'make "$target"' in ci


def test_every_documented_variable_is_a_setting() -> None:
    from bot.config import Settings

    aliases = {info.validation_alias for info in Settings.model_fields.values()}
    documented = set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))
    documented |= {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"}
    assert documented <= aliases, documented - aliases


RUNNABLE = [cmd for block in _blocks("sh runnable") for cmd in _commands(block)]


def test_readme_has_runnable_examples() -> None:
    assert len(RUNNABLE) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("command", RUNNABLE)
def test_runnable_readme_command_succeeds(command: str) -> None:
    if not (ROOT / ".venv" / "bin" / "eni-bot").exists():
        pytest.skip("the README's commands run in the project's .venv; run `make test`")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENIBOT_", "SLACK_"))}
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for fragment, expected in EXPECTED_OUTPUT.items():
        if fragment in command:
            assert expected in done.stdout


def test_the_policy_example_in_the_readme_is_valid_and_is_the_example_files() -> None:
    from bot.policy import parse_policy

    section = README.split("### 5. Approval policy", 1)[1].split("\n## ", 1)[0]
    (shown,) = [body for tag, body in FENCE.findall(section) if tag.strip() == "yaml"]
    readme = parse_policy(shown, source="README.md")
    example = parse_policy(
        (ROOT / "examples" / "policy.yml").read_text(encoding="utf-8"), source="example"
    )
    assert [r.name for r in readme.rules] == [r.name for r in example.rules]
    assert [(r.match, r.approvers, r.approvals, r.auto_approve) for r in readme.rules] == [
        (r.match, r.approvers, r.approvals, r.auto_approve) for r in example.rules
    ]
    assert [(f.name, f.start, f.end, f.approvers) for f in readme.freezes] == [
        (f.name, f.start, f.end, f.approvers) for f in example.freezes
    ]
