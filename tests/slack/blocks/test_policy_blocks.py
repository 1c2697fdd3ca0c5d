"""The approval policy in words: the rule line, the refusals, and the file's text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from block_inputs import everything, request

from bot.policy import ClickCheck, ClickRefusal, Refusal, RefusalKind, Refused, Requirement
from bot.requests.schemas import Decision, Outcome
from bot.requests.schemas import Refusal as DecisionRefusal
from bot.requests.states import Status
from bot.slack.blocks import card, policy, status
from bot.slack.blocks.ephemeral import decision_reply, request_accepted

HOSTILE = "<!channel> *bold* `x` <@U0X|y>"


@pytest.mark.parametrize(
    ("approver", "shown"),
    [
        ("U0LEAD", "<@U0LEAD>"),
        ("W0LEAD", "<@W0LEAD>"),
        ("S0LEADS", "<!subteam^S0LEADS>"),
        ("X0ODD", "X0ODD"),
        ("<!here>", "&lt;!here&gt;"),
    ],
)
def test_approvers_are_mentioned_users_and_groups(approver: str, shown: str) -> None:
    assert policy.approver_mention(approver) == shown


def test_the_rule_line_says_what_the_rule_needs() -> None:
    two = Requirement(rule="prod", approvals=2, approvers=("S0LEADS",), auto_approve=False)
    assert policy.rule_line(two) == "Rule prod: 2 approvals from <!subteam^S0LEADS>"
    either = Requirement(
        rule="db", approvals=1, approvers=("U0A", "U0B"), auto_approve=False, freezes=("ye",)
    )
    assert (
        policy.rule_line(either) == "Rule db: 1 approval from <@U0A> or <@U0B> (freeze ye in force)"
    )
    auto = Requirement(rule="dev", approvals=1, approvers=(), auto_approve=True)
    assert policy.rule_line(auto) == "Rule dev: approved automatically"


def test_names_from_the_file_are_escaped_on_the_card_and_in_status() -> None:
    stored = request(
        Status.PENDING,
        rule_name=HOSTILE,
        rule={"approvers": ["U0LEAD"], "approvals": 1, "freezes": [HOSTILE]},
    )
    for said in (
        everything(card.approval_card(stored)),
        everything(status.status_message(stored, [])),
    ):
        assert "<!channel>" not in said and "*bold*" not in said
        assert "Rule &lt;!channel&gt;" in said and "<@U0LEAD>" in said


def test_a_request_from_before_policies_has_no_rule_line() -> None:
    assert "Rule " not in everything(card.approval_card(request(Status.PENDING)))


def test_policy_refusals_quote_names_and_messages_escaped() -> None:
    until = datetime(2027, 12, 24, tzinfo=UTC)
    refused = Refused(
        (
            Refusal(RefusalKind.DENY, "k8s", HOSTILE, ("eni-a",)),
            Refusal(RefusalKind.NO_RULE, None, "", ("eni-b", "eni-c")),
            Refusal(RefusalKind.FREEZE, "year-end", "wait", ("eni-a",), until=until),
        )
    )
    said = everything(policy.policy_refusal(refused))
    assert "Rule *k8s* refuses `eni-a`: &lt;!channel&gt;" in said
    assert "No policy rule covers `eni-b`, `eni-c`" in said
    assert "Freeze *year-end* is in force until <!date^" in said and "wait" in said
    assert "Nothing was stored" in said
    assert "<!channel>" not in said


def test_many_enis_in_a_refusal_are_counted() -> None:
    enis = tuple(f"eni-{n}" for n in range(14))
    said = everything(
        policy.policy_refusal(Refused((Refusal(RefusalKind.NO_RULE, None, "", enis),)))
    )
    assert "and 4 more" in said and "eni-13" not in said


@pytest.mark.parametrize(
    ("refusal", "check", "words"),
    [
        (
            DecisionRefusal.NOT_APPROVER,
            ClickCheck(False, ClickRefusal.NOT_APPROVER, ("S0LEADS",)),
            "Only approvers of rule *prod* can approve or reject request *#7*: <!subteam^S0LEADS>",
        ),
        (
            DecisionRefusal.NOT_APPROVER,
            ClickCheck(False, ClickRefusal.NOT_APPROVER, ("U0B",), ("ye",)),
            "Only the approvers of freeze *ye* can approve or reject request *#7* while freeze",
        ),
        (
            DecisionRefusal.FROZEN,
            ClickCheck(False, ClickRefusal.FROZEN, (), ("ye",)),
            "Freeze *ye* is in force: nobody can approve request *#7*",
        ),
        (
            DecisionRefusal.RULE_GONE,
            ClickCheck(False, ClickRefusal.RULE_GONE),
            "governed by rule *prod*, which the policy file no longer has",
        ),
    ],
)
def test_a_click_the_policy_does_not_count_says_who_could(
    refusal: DecisionRefusal, check: ClickCheck, words: str
) -> None:
    decision = Decision(
        Outcome.REFUSED, request(Status.PENDING, rule_name="prod"), refusal, check=check
    )
    said = everything(decision_reply(decision, 7))
    assert words in said and "Nothing was changed" in said


def test_an_auto_approved_request_is_confirmed_as_approved() -> None:
    approved = request(Status.APPROVED, rule_name="dev", rule={"auto_approve": True})
    said = everything(request_accepted(approved))
    assert "approved automatically by rule *dev*" in said
    assert "waiting for approval" not in said
