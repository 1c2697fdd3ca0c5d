"""What did happen, said to the person who acted: checking, accepted, a decision's outcome."""

from __future__ import annotations

import pytest
from block_inputs import CHANNEL, ENI, INSTANCE, everything, request

from bot.requests.commands import DetachCommand
from bot.requests.models import RequestTarget
from bot.requests.schemas import Decision, Outcome, Refusal
from bot.requests.states import Status
from bot.slack.blocks.ephemeral import (
    OUTCOME_WORDS,
    already_requested,
    checking,
    decision_reply,
    request_accepted,
)


def test_every_outcome_has_words() -> None:
    assert set(OUTCOME_WORDS) | {Outcome.REFUSED, Outcome.RECORDED} == set(Outcome)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_names_the_request(outcome: Outcome) -> None:
    decision = Decision(
        outcome, request(Status.PENDING), Refusal.NOT_PENDING, approvals=1, needed=2
    )
    said = everything(decision_reply(decision, 42))
    assert "*#42*" in said
    if outcome is Outcome.RECORDED:
        assert "1 of 2; waiting for another approver" in said
    elif outcome is not Outcome.REFUSED:
        assert OUTCOME_WORDS[outcome].format(operation="detach") in said


def test_a_refused_decision_without_a_reason_reads_as_no_longer_pending() -> None:
    said = everything(decision_reply(Decision(Outcome.REFUSED, request(Status.DETACHED)), 42))
    assert "no longer waiting for a decision (it is Available (detached))" in said


def test_the_requester_learns_the_request_id_and_where_approvers_decide() -> None:
    said = everything(request_accepted(request(id=42)))
    for part in ("*#42*", f"`{ENI}`", f"`{INSTANCE}`", f"<#{CHANNEL}>", "`/eni cancel 42`"):
        assert part in said
    assert "in DM." in everything(request_accepted(request(channel_id="D0DIRECT")))


def test_checking_and_repeats_name_the_eni() -> None:
    one = DetachCommand(eni_ids=(ENI,), region="cn-hangzhou", reason="r")
    assert everything(checking(one)).startswith(f":mag: Checking `{ENI}` in `cn-hangzhou`…")
    said = everything(already_requested(42, ENI))
    assert "*#42*" in said and "changed nothing" in said


def test_checking_a_bulk_command_names_the_count_or_the_selection() -> None:
    several = DetachCommand(eni_ids=(ENI, "eni-bp1zzzzzzzzzzz"), region="cn-hangzhou", reason="r")
    assert "Checking 2 ENIs in `cn-hangzhou`" in everything(checking(several))
    tagged = DetachCommand(tags=(("app", "web"),), instance_id=INSTANCE, region="r", reason="r")
    assert f"Checking `tag:app=web {INSTANCE}` in `r`" in everything(checking(tagged))


def test_a_bulk_confirmation_names_the_count_some_enis_and_what_was_left_out() -> None:
    shown = request(id=42, left_out=[{"eni_id": "eni-x", "problem": "primary_eni", "facts": {}}])
    shown.targets = [
        RequestTarget(position=n, region="cn-hangzhou", eni_id=f"eni-{n:06d}", instance_id=INSTANCE)
        for n in range(7)
    ]
    said = everything(request_accepted(shown))
    assert "to detach 7 ENIs (`eni-000000`, " in said
    assert "`eni-000004` and 2 more) from " + f"`{INSTANCE}`" in said
    assert "1 more found were left out; the card says why." in said
    assert "*#42*" in said and "waiting for approval" in said
