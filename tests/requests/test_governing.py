"""bot.requests.governing: a request's facts for the policy, what it stores, whose click counts."""

from __future__ import annotations

from typing import Any

import pytest

from bot.policy import ClickRefusal, Governed, Match, Refused
from bot.policy.models import ApprovalPolicy
from bot.requests import governing
from bot.requests.governing import PolicyJudge
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.schemas import NewRequest, NewTarget

from support.policy import HOUR, NOW, freeze, match, policy, rule

SNAPSHOT = {"tags": {"env": "prod", "team": "web"}, "vpc_id": "vpc-one", "vswitch_id": "vsw-one"}


def _request(rule_name: str | None = "prod", **fields: Any) -> DetachRequest:
    target = RequestTarget(
        position=0, region="cn-hangzhou", eni_id="eni-a", instance_id="i-one", eni_snapshot=SNAPSHOT
    )
    return DetachRequest(
        id=1,
        operation="detach",
        region="cn-hangzhou",
        requester_id=fields.pop("requester_id", "U0ASKER"),
        rule_name=rule_name,
        rule=fields.pop("rule", {}),
        approvals_needed=fields.pop("approvals_needed", 1),
        targets=[target],
        **fields,
    )


PROD = policy(
    rule("prod", match=match(tags={"env": "prod"}), approvers=("S0LEADS", "U0LEAD"), approvals=2),
    rule("rest", match=Match(), approvers=("U0OTHER",), allow_self_approval=True),
)


def test_facts_come_from_the_preflight_snapshot() -> None:
    new = NewRequest(
        region="cn-hangzhou",
        requester_id="U0ASKER",
        channel_id="C0OPS",
        reason="r",
        targets=(NewTarget("eni-a", "i-one", SNAPSHOT), NewTarget("eni-b", "i-two", {})),
    )
    first, bare = governing.facts_of_new(new)
    assert (first.tags, first.vpc_id, first.vswitch_id, first.instance_id) == (
        {"env": "prod", "team": "web"},
        "vpc-one",
        "vsw-one",
        "i-one",
    )
    assert (bare.tags, bare.vpc_id, bare.vswitch_id) == ({}, None, None)
    assert governing.facts_of(_request()) == [first]


def test_govern_evaluates_the_new_request_and_the_snapshot_keeps_what_it_asked() -> None:
    new = NewRequest(
        region="cn-hangzhou",
        requester_id="U0ASKER",
        channel_id="C0OPS",
        reason="r",
        targets=(NewTarget("eni-a", "i-one", SNAPSHOT),),
    )
    governed = governing.govern(PROD, new, now=NOW)
    assert isinstance(governed, Governed) and governed.rule == "prod"
    assert governing.snapshot(governed) == {
        "number": 1,
        "approvers": ["S0LEADS", "U0LEAD"],
        "approvals": 2,
        "auto_approve": False,
        "allow_self_approval": False,
        "freezes": [],
    }
    denied = policy(rule("no", match=Match(), deny="not today"))
    assert isinstance(governing.govern(denied, new, now=NOW), Refused)


def test_the_requirement_is_read_back_from_the_stored_snapshot() -> None:
    stored = _request(
        rule={"approvers": ["S0B"], "approvals": 3, "freezes": ["year-end"]}, approvals_needed=3
    )
    needs = governing.requirement(stored)
    assert needs is not None
    assert (needs.rule, needs.approvals, needs.approvers, needs.freezes) == (
        "prod",
        3,
        ("S0B",),
        ("year-end",),
    )
    assert governing.requirement(_request(rule_name=None)) is None


def test_policy_groups_are_the_user_groups_of_rules_and_freezes_once_each() -> None:
    frozen = ApprovalPolicy(
        rules=PROD.rules, freezes=(freeze("f", approvers=("S0BOARD", "S0LEADS", "U0X")),)
    )
    assert governing.policy_groups(frozen) == ("S0LEADS", "S0BOARD")


def _judge(approval: ApprovalPolicy, groups: dict[str, tuple[str, ...]] | None = None) -> Any:
    groups = groups or {}
    return PolicyJudge(approval, lambda user: groups.get(user, ()), NOW)


def test_a_click_counts_from_a_rule_approver_directly_or_through_a_group() -> None:
    judge = _judge(PROD, {"U0MEMBER": ("S0LEADS",)})
    request = _request()
    assert judge.approval(request, "U0LEAD").counts
    assert judge.approval(request, "U0MEMBER").counts
    refused = judge.approval(request, "U0OTHER")
    assert (refused.counts, refused.refusal) == (False, ClickRefusal.NOT_APPROVER)
    assert refused.approvers == ("S0LEADS", "U0LEAD")


def test_the_requester_may_reject_but_not_approve_unless_the_rule_allows_it() -> None:
    judge = _judge(PROD)
    own = _request(requester_id="U0LEAD")
    assert judge.approval(own, "U0LEAD").refusal is ClickRefusal.OWN_REQUEST
    assert judge.rejection(own, "U0LEAD").counts
    mine = _request(rule_name="rest", requester_id="U0OTHER")
    assert judge.approval(mine, "U0OTHER").counts


@pytest.mark.parametrize(
    ("start", "counts_lead", "counts_board"),
    [(-HOUR, False, True), (HOUR, True, False)],
    ids=["freeze in force at the click", "freeze not begun yet"],
)
def test_the_freezes_in_force_at_the_click_decide(
    start: Any, counts_lead: bool, counts_board: bool
) -> None:
    board = freeze("year-end", start=NOW + start, end=NOW + 3 * HOUR, approvers=("U0BOARD",))
    judge = _judge(ApprovalPolicy(rules=PROD.rules, freezes=(board,)))
    request = _request()
    assert judge.approval(request, "U0LEAD").counts is counts_lead
    assert judge.approval(request, "U0BOARD").counts is counts_board


def test_a_request_without_a_rule_is_judged_by_the_rule_the_policy_gives_it_now() -> None:
    judge = _judge(PROD)
    old = _request(rule_name=None)
    assert judge.approval(old, "U0LEAD").counts
    assert not judge.approval(old, "U0OTHER").counts
    denying = policy(rule("no", match=Match(), deny="no"))
    gone = _judge(denying).approval(old, "U0LEAD")
    assert gone.refusal is ClickRefusal.RULE_GONE


def test_a_rule_no_longer_in_the_file_counts_nobody() -> None:
    judge = _judge(PROD)
    check = judge.approval(_request(rule_name="renamed"), "U0LEAD")
    assert (check.counts, check.refusal) == (False, ClickRefusal.RULE_GONE)


def test_an_auto_approval_is_recorded_under_the_rule() -> None:
    assert governing.auto_approver("dev") == "policy:dev"
    assert len(governing.auto_approver("x" * 200)) == 64  # the audit actor's column
