"""The requester's notice when the card cannot be posted: why, what became of it, the fix."""

from __future__ import annotations

import pytest
from block_inputs import ENI, everything, limit_problems, request

from bot.requests.states import Status
from bot.slack.blocks.notices import CHANNEL_PROBLEMS, card_undeliverable

GENERIC = "Slack refused the message"


@pytest.mark.parametrize("channel", ["C0OPS", "G0PRIVATE", "D0DIRECT"])
@pytest.mark.parametrize("problem", sorted(CHANNEL_PROBLEMS))
def test_every_channel_problem_has_its_own_words_and_a_fix(channel: str, problem: str) -> None:
    shown = card_undeliverable(
        request(Status.CANCELLED, channel_id=channel), problem, cancelled=True
    )
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert GENERIC not in said
    assert "was cancelled" in said and "the ENI is free for a new request" in said
    assert said.count("\n") == 1  # the fix on a line of its own
    assert shown.text.startswith("Request #7 could not be posted in ")


def test_where_the_request_was_asked_is_named_as_people_know_it() -> None:
    said = everything(
        card_undeliverable(request(channel_id="C0OPS"), "is_archived", cancelled=True)
    )
    assert "in <#C0OPS>: the channel is archived" in said
    said = everything(
        card_undeliverable(request(channel_id="D0X"), "not_in_channel", cancelled=True)
    )
    assert "in the direct message you asked in: I am not part of that conversation" in said


def test_an_unknown_answer_is_named_and_a_request_that_goes_on_says_so() -> None:
    shown = card_undeliverable(request(), "fatal_error", cancelled=False)
    said = everything(shown)
    assert f"{GENERIC} (`fatal_error`)" in said
    assert f"to detach `{ENI}` goes on without it" in said and "`/eni status 7`" in said
    assert "cancelled" not in shown.text
