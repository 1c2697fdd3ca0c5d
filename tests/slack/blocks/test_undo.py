"""An undo in words: each refusal, the clicker's confirmation, and the old thread's reply."""

from __future__ import annotations

import pytest
from block_inputs import CHANNEL, ENI, INSTANCE, REQUESTER, everything, limit_problems, request

from bot.requests.states import Status
from bot.requests.undo import UndoRefusal, UndoRefused
from bot.slack.blocks.thread import thread_reply
from bot.slack.blocks.undo import (
    UNDO_REFUSAL_WORDS,
    checking_undo,
    undo_accepted,
    undo_refused,
)


def test_every_refusal_has_words() -> None:
    assert set(UNDO_REFUSAL_WORDS) == set(UndoRefusal)


@pytest.mark.parametrize("refusal", list(UndoRefusal))
def test_each_refusal_names_the_request_and_that_nothing_was_stored(refusal: UndoRefusal) -> None:
    said = everything(undo_refused(UndoRefused(refusal, 42, Status.DETACHING)))
    assert "*#42*" in said and "Nothing was stored" in said
    assert "{" not in said


def test_an_unfinished_request_says_its_state_and_how_to_follow_it() -> None:
    said = everything(undo_refused(UndoRefused(UndoRefusal.NOT_FINISHED, 42, Status.PENDING)))
    assert "Waiting for approval" in said or "pending" in said.lower()
    assert "`/eni status 42`" in said


def test_the_confirmation_names_both_requests_and_where_the_card_goes() -> None:
    new = request(Status.PENDING, id=43, operation="attach", undo_of=42)
    said = everything(undo_accepted(new))
    assert "*#43* undoes *#42*" in said
    assert f"`{ENI}` back to `{INSTANCE}`" in said
    assert f"<#{CHANNEL}>" in said and "another approver" in said
    assert "`/eni cancel 43`" in said


def test_the_old_thread_names_the_new_request_and_who_asked() -> None:
    old = request(Status.DETACHED, id=42)
    shown = thread_reply(old, {"undo_by": 43, "actor": REQUESTER, "enis": 3})
    said = everything(shown)
    assert limit_problems(shown.blocks) == []
    assert "*#43*" in said and f"<@{REQUESTER}>" in said and "its 3 ENIs back" in said
    assert [b for b in shown.blocks if b["type"] == "actions"] == []  # no second undo button


def test_checking_names_the_request() -> None:
    assert "*#42*" in everything(checking_undo(42))
