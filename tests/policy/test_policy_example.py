"""examples/policy.yml: it loads clean anywhere, and says what it claims over the demo world."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.policy import (
    Governed,
    Operation,
    RefusalKind,
    Refused,
    TargetFacts,
    evaluate,
    load_policy,
    rule_for,
    summary,
)
from bot.sim.ecs.fixture import demo_world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/policy.yml"
BEFORE_FREEZE = datetime(2027, 6, 1, tzinfo=UTC)
IN_FREEZE = datetime(2027, 12, 24, tzinfo=UTC)


def _demo_facts() -> dict[str, TargetFacts]:
    """Each demo-world ENI by name, as pre-flight would see it."""
    world = demo_world()
    facts = {}
    for region in ("cn-hangzhou", "cn-shanghai"):
        for eni in world.network_interfaces(region):
            facts[eni.name] = TargetFacts(
                eni_id=eni.eni_id,
                region=eni.region_id,
                tags=dict(eni.tags),
                vpc_id=eni.vpc_id or None,
                vswitch_id=eni.vswitch_id or None,
                instance_id=eni.instance_id,
            )
    return facts


def test_the_example_loads_clean_without_enibot_approvers() -> None:
    policy = load_policy(EXAMPLE, default_approvers=())
    assert summary(policy) == "5 rules, 1 freeze"
    assert [rule.name for rule in policy.rules] == [
        "k8s-pods",
        "database",
        "prod",
        "dev",
        "catch-all",
    ]


@pytest.mark.parametrize(
    ("eni_name", "rule", "approvals", "approvers", "auto"),
    [
        ("web-1-app", "prod", 2, ("U0LEAD", "U0LEAD2"), False),
        ("web-sh-1-app", "prod", 2, ("U0LEAD", "U0LEAD2"), False),
        ("db-replication", "database", 1, ("S0DBA",), False),
        ("web-1-legacy", "catch-all", 1, ("U0LEAD", "U0LEAD2"), False),
        ("build-cache", "catch-all", 1, ("U0LEAD", "U0LEAD2"), False),
    ],
)
def test_the_example_governs_the_demo_world_as_its_comments_say(
    eni_name: str, rule: str, approvals: int, approvers: tuple[str, ...], auto: bool
) -> None:
    policy = load_policy(EXAMPLE)
    decision = evaluate(policy, [_demo_facts()[eni_name]], Operation.DETACH, BEFORE_FREEZE)
    assert isinstance(decision, Governed)
    assert (decision.rule, decision.approvals, decision.approvers, decision.auto_approve) == (
        rule,
        approvals,
        approvers,
        auto,
    )


def test_the_example_refuses_pod_network_enis_quoting_the_rule() -> None:
    policy = load_policy(EXAMPLE)
    facts = _demo_facts()
    decision = evaluate(policy, [facts["web-1-app"], facts["pod-a"]], "detach", BEFORE_FREEZE)
    assert isinstance(decision, Refused)
    (refusal,) = decision.refusals
    assert (refusal.kind, refusal.name, refusal.eni_ids) == (
        RefusalKind.DENY,
        "k8s-pods",
        (facts["pod-a"].eni_id,),
    )
    assert "drain the node" in refusal.message


def test_the_example_auto_approves_dev_enis() -> None:
    policy = load_policy(EXAMPLE)
    dev = TargetFacts(eni_id="eni-dev", region="cn-hangzhou", tags={"env": "dev"})
    decision = evaluate(policy, [dev], Operation.ATTACH, BEFORE_FREEZE)
    assert isinstance(decision, Governed) and decision.rule == "dev" and decision.auto_approve


def test_during_the_example_freeze_prod_needs_the_change_board() -> None:
    policy = load_policy(EXAMPLE)
    facts = _demo_facts()
    decision = evaluate(policy, [facts["web-1-app"]], Operation.DETACH, IN_FREEZE)
    assert isinstance(decision, Governed)
    assert (decision.rule, decision.approvals, decision.approvers, decision.freezes) == (
        "prod",
        2,
        ("S0CHANGEBOARD",),
        ("year-end",),
    )
    # ENIs the freeze does not match keep their rule's approvers.
    other = evaluate(policy, [facts["build-cache"]], Operation.DETACH, IN_FREEZE)
    assert isinstance(other, Governed) and other.freezes == ()


def test_every_demo_eni_has_a_rule_in_the_example() -> None:
    policy = load_policy(EXAMPLE)
    uncovered = [
        name
        for name, facts in _demo_facts().items()
        if rule_for(policy, facts, Operation.DETACH) is None
    ]
    assert uncovered == []
