"""What did happen, said to the person who acted: checking, accepted, a decision's outcome."""

from __future__ import annotations

import pytest
from block_inputs import CHANNEL, ENI, INSTANCE, everything, request

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
        assert OUTCOME_WORDS[outcome] in said


def test_a_refused_decision_without_a_reason_reads_as_no_longer_pending() -> None:
    said = everything(decision_reply(Decision(Outcome.REFUSED, request(Status.DETACHED)), 42))
    assert "no longer waiting for a decision (it is Available (detached))" in said


def test_the_requester_learns_the_request_id_and_where_approvers_decide() -> None:
    said = everything(request_accepted(request(id=42)))
    for part in ("*#42*", f"`{ENI}`", f"`{INSTANCE}`", f"<#{CHANNEL}>", "`/eni cancel 42`"):
        assert part in said
    assert "in DM." in everything(request_accepted(request(channel_id="D0DIRECT")))


def test_checking_and_repeats_name_the_eni() -> None:
    assert f"`{ENI}`" in everything(checking(ENI, "cn-hangzhou"))
    said = everything(already_requested(42, ENI))
    assert "*#42*" in said and "changed nothing" in said
