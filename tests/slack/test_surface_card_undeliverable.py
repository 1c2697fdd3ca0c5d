"""A request whose approval card can never be posted is cancelled, and the requester told why.

CONTRACT (Hardening 0.2): the channel is private and the bot is not in it, archived, or a DM the
bot cannot write to. The requester was told "waiting for approval", so the bot must say what went
wrong and how to fix it, and cancel the request so its ENI is free for a new one. Driven through
signed `/eni detach` requests, with the real relay (as `Workers` builds it) against the stand-in.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_harness import ENI, REQUESTER, Harness, HarnessFactory, submit_request
from sqlalchemy import select

from bot import db
from bot.outbox.relay import RelayConfig
from bot.requests.models import RequestEvent
from bot.requests.states import Status
from bot.sim.slack.records import Message
from bot.workers import WorkerOptions

RELAY_ONLY = WorkerOptions(
    relay=RelayConfig(post_interval=0.0, claim_every=0.05, backoff_base=0.05, backoff_cap=0.3),
    enable=frozenset({"relay"}),
)

# channel -> (how the stand-in knows it, words the requester must read)
CASES: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "private-channel-without-the-bot": (
        "G0SECRET",
        {"kind": "private", "bot_member": False},
        ("/invite @eni-bot", "<#G0SECRET>"),
    ),
    "archived-channel": ("C0OLDOPS", {"archived": True}, ("archived", "<#C0OLDOPS>")),
    "dm-between-people": (
        "D0PEOPLE",
        {"kind": "im", "bot_member": False},
        ("direct message", "/invite @eni-bot"),
    ),
}


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    """The Slack surface with the relay running (nothing else: no ECS calls after pre-flight)."""
    harness = make_harness()
    harness.start_workers(RELAY_ONLY)
    return harness


def _notice(harness: Harness) -> Message:
    """The bot's message to the requester outside the channel: its DM (the App's Messages tab)."""
    found: list[Message] = harness.slack.wait_for(lambda s: s.messages(REQUESTER), timeout=30)
    return found[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_card_that_cannot_be_posted_cancels_the_request_and_tells_the_requester(
    harness: Harness, case: str
) -> None:
    channel, conversation, words = CASES[case]
    harness.slack.add_conversation(channel, **conversation)
    response = harness.sender.command(
        f"detach {ENI} moving the app network to the new node",
        user_id=REQUESTER,
        channel_id=channel,
    )
    assert response.status_code == 200
    assert "waiting for approval" in harness.wait_response().text

    notice = _notice(harness)
    text = notice.text + str(notice.blocks)
    for expected in (*words, ENI, "cancelled"):
        assert expected in text, (expected, text)
    # It tried the ephemeral first, in the request's channel (Slack refused it there too).
    tried = [c for c in harness.slack.calls("chat.postEphemeral") if c.params["channel"] == channel]
    assert tried and not tried[0].ok

    [request] = harness.requests()
    assert request.state is Status.CANCELLED
    with db.transaction(harness.runtime.sessions) as session:
        events = session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id)
            .order_by(RequestEvent.id)
        ).all()
        assert [(e.to_status, e.actor) for e in events][-1] == ("cancelled", "system:relay")
        assert events[-1].detail["card_undeliverable"] in ("channel_not_found", "is_archived")

    # The ENI is free: a new request for it, in a channel the bot is in, is accepted.
    submit_request(harness, ENI)
    assert [r.state for r in harness.requests()] == [Status.CANCELLED, Status.PENDING]
