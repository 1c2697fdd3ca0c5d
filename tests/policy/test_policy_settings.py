"""ENIBOT_POLICY_FILE in settings, and the policy the composition root reads from it at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import approval_policy, build_runtime
from bot.config import load_settings
from bot.policy import DEFAULT_RULE_NAME, Match, PolicyError, Rule, default_policy


def test_unset_or_blank_means_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().policy_file is None
    monkeypatch.setenv("ENIBOT_POLICY_FILE", "  ")
    assert load_settings().policy_file is None


def test_without_a_file_one_rule_from_approvers_and_required_approvals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENIBOT_APPROVERS", "U0LEAD, S0LEADS")
    monkeypatch.setenv("ENIBOT_REQUIRED_APPROVALS", "2")
    policy = approval_policy(load_settings())
    assert policy.rules == (
        Rule(
            number=1,
            name=DEFAULT_RULE_NAME,
            match=Match(),
            approvers=("U0LEAD", "S0LEADS"),
            approvals=2,
        ),
    )
    assert policy.freezes == () and policy.source is None


def test_the_file_is_read_with_enibot_approvers_as_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("rules:\n  - name: all\n    match: {}\n")
    monkeypatch.setenv("ENIBOT_POLICY_FILE", str(path))
    monkeypatch.setenv("ENIBOT_APPROVERS", "U0LEAD")
    settings = load_settings()
    assert settings.policy_file == path
    policy = approval_policy(settings)
    assert policy.source == str(path)
    assert policy.rules[0].approvers == ("U0LEAD",)
    # ENIBOT_REQUIRED_APPROVALS is the default policy's, not a file rule's (default 1).
    monkeypatch.setenv("ENIBOT_REQUIRED_APPROVALS", "3")
    assert approval_policy(load_settings()).rules[0].approvals == 1


def test_a_bad_file_raises_with_every_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("rules:\n  - name: all\n    match: {}\n    approvals: 0\n")
    monkeypatch.setenv("ENIBOT_POLICY_FILE", str(path))
    with pytest.raises(PolicyError) as caught:
        approval_policy(load_settings())
    assert caught.value.lines() == [
        f'{path}:4: rule 1 "all": approvals: should be greater than or equal to 1 (got 0)'
    ]


def test_the_runtime_carries_the_policy_read_at_start(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'bot.db'}", approvers="U0LEAD", policy_file=None
    )
    runtime = build_runtime(settings)
    try:
        assert runtime.approval == default_policy(approvers=["U0LEAD"], approvals=1)
    finally:
        runtime.close()
    # The policy a command already read is the one used: the file is read once.
    given = default_policy(approvers=["U0OTHER"], approvals=2)
    runtime = build_runtime(settings, approval=given)
    try:
        assert runtime.approval is given
    finally:
        runtime.close()


def test_build_runtime_refuses_a_bad_file_before_migrating(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("rules: []\n")
    database = tmp_path / "bot.db"
    settings = load_settings(database_url=f"sqlite:///{database}", policy_file=str(path))
    with pytest.raises(PolicyError):
        build_runtime(settings)
    assert not database.exists()
