"""Slack's documented limits, as slack_sdk meets them over real HTTP: content and rate.

Content (docs.slack.dev Block Kit reference, chat.postMessage/chat.update errors): 50 blocks a
message, section text 3,000, header 150, context elements text objects of 1 to 3,000, message
text 40,000; chat.update is held to the same limits as chat.postMessage, and a refused update
leaves the message as it was. Rate (docs.slack.dev/apis/web-api/rate-limits): one post a second
per channel with short bursts; chat.update Tier 3, 50+ a minute for the app, any channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim.slack import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.sim.slack.limits import METHOD_TIERS, TIER_BURST, Tier

from support.clock import Clock

CHANNEL = "C0ENIOPS"
Send = Callable[..., Any]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _context(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "context", "elements": list(elements)}


def _select(count: int) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": f"r{i}"}, "value": f"r{i}"} for i in range(count)
    ]
    element = {"type": "static_select", "action_id": "pick", "options": options}
    return {"type": "actions", "block_id": "choose", "elements": [element]}


@pytest.fixture
def client(stand_in: SlackWebApiStandIn) -> WebClient:
    """slack_sdk with its retry handlers off, so every refusal reaches the test."""
    web = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    web.retry_handlers = []
    return web


@pytest.fixture(params=["chat.postMessage", "chat.update"])
def send(request: pytest.FixtureRequest, client: WebClient) -> Send:
    """Post a message, or update one posted first: the limits must be the same for both."""
    if request.param == "chat.postMessage":
        return lambda **content: client.chat_postMessage(channel=CHANNEL, **content)
    ts = client.chat_postMessage(channel=CHANNEL, text="before")["ts"]
    return lambda **content: client.chat_update(channel=CHANNEL, ts=ts, **content)


def error_of(call: Callable[[], Any]) -> tuple[str, list[str]]:
    with pytest.raises(SlackApiError) as info:
        call()
    body = info.value.response.data
    assert isinstance(body, dict)
    return str(body["error"]), list(body.get("response_metadata", {}).get("messages", []))


@pytest.mark.parametrize(
    ("at_limit", "over_limit", "complaint"),
    [
        ([{"type": "divider"}] * 50, [{"type": "divider"}] * 51, "no more than 50 items"),
        ([_section("s" * 3000)], [_section("s" * 3001)], "less than 3001 characters"),
        ([_header("h" * 150)], [_header("h" * 151)], "less than 151 characters"),
        (
            [_context({"type": "mrkdwn", "text": "c" * 3000})],
            [_context({"type": "mrkdwn", "text": "c" * 3001})],
            "less than 3001 characters",
        ),
        (
            [_context({"type": "plain_text", "text": "note"})],
            [_context({"type": "plain_text", "text": ""})],
            "non-empty text",
        ),
        (
            [_context({"type": "image", "image_url": "https://x.example/i.png", "alt_text": "i"})],
            [_context({"type": "image", "image_url": "https://x.example/i.png"})],
            "alt_text",
        ),
        ([_select(100)], [_select(101)], "1 to 100 items"),
    ],
    ids=["blocks", "section", "header", "context-text", "context-empty", "image", "options"],
)
def test_block_kit_limits_are_refused_just_past_them(
    send: Send, at_limit: list[Any], over_limit: list[Any], complaint: str
) -> None:
    assert send(text="fallback", blocks=at_limit)["ok"]
    error, messages = error_of(lambda: send(text="fallback", blocks=over_limit))
    assert error == "invalid_blocks"
    assert any(complaint in m for m in messages), messages


def test_message_text_is_at_most_40000_characters(send: Send) -> None:
    assert send(text="t" * 40_000)["ok"]
    assert error_of(lambda: send(text="t" * 40_001))[0] == "msg_too_long"


def test_a_refused_update_leaves_the_message_as_it_was(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    posted = client.chat_postMessage(channel=CHANNEL, text="card", blocks=[_section("card")])
    ts = posted["ts"]
    for content in (
        {"text": "x", "blocks": [{"type": "divider"}] * 51},
        {"text": "x", "blocks": [_header("h" * 151)]},
        {"text": "t" * 40_001},
    ):
        with pytest.raises(SlackApiError):
            client.chat_update(channel=CHANNEL, ts=ts, **content)
    message = stand_in.message(CHANNEL, ts)
    assert message is not None
    assert (message.text, message.blocks, message.edits) == ("card", [_section("card")], 0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(clock: Clock) -> Iterator[SlackWebApiStandIn]:
    """A stand-in with Slack's documented rate limits on, on a clock the test moves."""
    with SlackWebApiStandIn(clock=clock.monotonic) as stand_in:
        stand_in.use_documented_rate_limits()
        yield stand_in


def _status_of(call: Callable[[], Any]) -> tuple[int, str | None]:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response.status_code, info.value.response.headers.get("Retry-After")


def test_chat_update_is_tier_3_for_the_whole_app(limited: SlackWebApiStandIn, clock: Clock) -> None:
    assert METHOD_TIERS["chat.update"] is Tier.TIER_3 and int(Tier.TIER_3) == 50
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=limited.api_url)
    client.retry_handlers = []
    cards = [client.chat_postMessage(channel=c, text="card")["ts"] for c in ("C1", "C2")]
    for i in range(TIER_BURST):
        client.chat_update(channel="C1", ts=cards[0], text=f"edit {i}")
    # The tier counts every chat.update of the app: another channel does not get a fresh bucket.
    status, retry_after = _status_of(
        lambda: client.chat_update(channel="C2", ts=cards[1], text="x")
    )
    # 50 a minute refill one call in 1.2 s: Slack's Retry-After is whole seconds, rounded up.
    assert (status, retry_after) == (429, "2")
    # A refused call spends nothing, and neither does it change the message.
    assert _status_of(lambda: client.chat_update(channel="C1", ts=cards[0], text="y"))[0] == 429
    card = limited.message("C1", cards[0])
    assert card is not None and card.text == f"edit {TIER_BURST - 1}"
    clock.advance(60 / 50)
    assert client.chat_update(channel="C2", ts=cards[1], text="after the wait")["ok"]
    assert _status_of(lambda: client.chat_update(channel="C1", ts=cards[0], text="z"))[0] == 429
    # Posting has its own limit: updates being limited does not stop a post.
    assert client.chat_postMessage(channel="C1", text="still posts")["ok"]


def test_posting_is_one_a_second_per_channel_beside_the_tiers(
    limited: SlackWebApiStandIn, clock: Clock
) -> None:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=limited.api_url)
    client.retry_handlers = []
    for i in range(3):
        client.chat_postMessage(channel="C1", text=f"burst {i}")
    status, retry_after = _status_of(lambda: client.chat_postMessage(channel="C1", text="over"))
    assert (status, retry_after) == (429, "1")
    assert client.chat_postMessage(channel="C2", text="another channel")["ok"]
    clock.advance(1.0)
    assert client.chat_postMessage(channel="C1", text="a second later")["ok"]
    assert [c.status for c in limited.calls("chat.postMessage")] == [200] * 3 + [429, 200, 200]


def test_a_method_limit_can_be_set_and_switched_off(
    stand_in: SlackWebApiStandIn, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    stand_in.set_method_rate_limit("chat.update", per_minute=1, burst=1)
    assert client.chat_update(channel=CHANNEL, ts=ts, text="one")["ok"]
    assert _status_of(lambda: client.chat_update(channel=CHANNEL, ts=ts, text="two")) == (
        429,
        "60",
    )
    stand_in.set_method_rate_limit("chat.update", per_minute=None, burst=1)
    for i in range(10):
        assert client.chat_update(channel=CHANNEL, ts=ts, text=f"free {i}")["ok"]
