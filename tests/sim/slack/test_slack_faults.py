"""Injected failures look to slack_sdk exactly like Slack's, and its retry handlers recover."""

from __future__ import annotations

import socket

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.sim.slack import DEFAULT_BOT_TOKEN, FaultKind, SlackWebApiStandIn

from support.clock import Clock

CHANNEL = "C0ENIOPS"


def retrying_client(stand_in: SlackWebApiStandIn, *handlers: object) -> WebClient:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    client.retry_handlers = list(handlers)  # type: ignore[arg-type]
    return client


def test_rate_limited_answer_is_429_with_retry_after(stand_in: SlackWebApiStandIn) -> None:
    stand_in.fail_next("chat.postMessage", 1, "rate_limited", retry_after=7)
    answer = httpx.post(
        stand_in.api_url + "chat.postMessage",
        json={"channel": CHANNEL, "text": "x"},
        headers={"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"},
    )
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json() == {"ok": False, "error": "ratelimited"}
    assert stand_in.messages(CHANNEL) == []
    assert stand_in.calls("chat.postMessage")[0].fault == "rate_limited"


def test_rate_limit_handler_waits_retry_after_then_posts_once(
    stand_in: SlackWebApiStandIn,
) -> None:
    stand_in.fail_next("chat.postMessage", 1, FaultKind.RATE_LIMITED, retry_after=1)
    client = retrying_client(stand_in, RateLimitErrorRetryHandler(max_retry_count=2))
    assert client.chat_postMessage(channel=CHANNEL, text="after the limit")["ok"]
    first, second = stand_in.calls("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    # slack_sdk slept at least Retry-After between the two attempts (a lower bound, not timing).
    assert second.time - first.time >= 1.0
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["after the limit"]


def test_without_a_retry_handler_the_429_surfaces(stand_in: SlackWebApiStandIn) -> None:
    stand_in.fail_next(None, 1, "rate_limited")
    client = retrying_client(stand_in)
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"


def test_server_errors_are_retried_by_the_server_error_handler(
    stand_in: SlackWebApiStandIn,
) -> None:
    stand_in.fail_next("chat.update", 1, "server_error", status=503)
    stand_in.fail_next("chat.update", 1, "server_error")
    client = retrying_client(
        stand_in,
        ServerErrorRetryHandler(
            max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
        ),
    )
    ts = client.chat_postMessage(channel=CHANNEL, text="v1")["ts"]
    assert client.chat_update(channel=CHANNEL, ts=ts, text="v2")["ok"]
    assert [c.status for c in stand_in.calls("chat.update")] == [503, 500, 200]


def test_faults_only_hit_their_method_and_count(stand_in: SlackWebApiStandIn) -> None:
    stand_in.fail_next("chat.update", 2, "server_error")
    client = retrying_client(stand_in)
    assert client.chat_postMessage(channel=CHANNEL, text="untouched")["ok"]
    stand_in.clear_faults()
    assert client.auth_test()["ok"]


def test_connection_reset_applies_nothing(stand_in: SlackWebApiStandIn) -> None:
    stand_in.fail_next("chat.postMessage", 1, "connection_reset")
    client = retrying_client(stand_in)
    with pytest.raises(OSError):
        client.chat_postMessage(channel=CHANNEL, text="lost")
    assert stand_in.messages(CHANNEL) == []


def test_response_lost_applies_the_post_but_the_client_never_hears(
    stand_in: SlackWebApiStandIn,
) -> None:
    stand_in.fail_next("chat.postMessage", 1, "response_lost")
    client = retrying_client(stand_in)
    with pytest.raises(OSError):
        client.chat_postMessage(
            channel=CHANNEL,
            text="posted",
            metadata={"event_type": "eni_bot_outbox", "event_payload": {"outbox_id": 3}},
        )
    # The bot's way out: look for its own metadata before posting again.
    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert [m["metadata"]["event_payload"]["outbox_id"] for m in history["messages"]] == [3]


def test_outage_refuses_connections_then_returns_on_the_same_port(
    stand_in: SlackWebApiStandIn,
) -> None:
    port = stand_in.port
    stand_in.outage(None)
    assert stand_in.in_outage
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    stand_in.end_outage()
    assert stand_in.port == port and not stand_in.in_outage
    assert retrying_client(stand_in).auth_test()["ok"]


def test_connection_error_handler_rides_out_a_short_outage(stand_in: SlackWebApiStandIn) -> None:
    client = retrying_client(
        stand_in,
        ConnectionErrorRetryHandler(
            max_retry_count=40, interval_calculator=FixedValueRetryIntervalCalculator(0.05)
        ),
    )
    client.chat_postMessage(channel=CHANNEL, text="before")
    stand_in.outage(0.3)
    assert client.chat_postMessage(channel=CHANNEL, text="after")["ok"]
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["before", "after"]


def test_outage_cuts_kept_alive_connections(stand_in: SlackWebApiStandIn) -> None:
    headers = {"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"}
    with httpx.Client(headers=headers) as http:
        assert http.post(stand_in.api_url + "auth.test").status_code == 200
        stand_in.outage(None)
        with pytest.raises(httpx.TransportError):
            http.post(stand_in.api_url + "auth.test")
        stand_in.end_outage()
        assert http.post(stand_in.api_url + "auth.test").status_code == 200


def test_channel_rate_limit_allows_a_burst_then_429s_per_channel() -> None:
    clock = Clock()
    with SlackWebApiStandIn(clock=clock.monotonic) as stand_in:
        stand_in.set_channel_rate_limit(per_second=1.0, burst=2)
        client = retrying_client(stand_in)
        client.chat_postMessage(channel="C1", text="1")
        client.chat_postMessage(channel="C1", text="2")
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="3")
        assert info.value.response.status_code == 429
        assert client.chat_postMessage(channel="C2", text="other channel")["ok"]
        clock.advance(1.0)
        assert client.chat_postMessage(channel="C1", text="3 again")["ok"]
        # Updates are not limited by the per-channel posting rule.
        ts = stand_in.messages("C1")[0].ts
        assert client.chat_update(channel="C1", ts=ts, text="edited")["ok"]
        stand_in.set_channel_rate_limit(None)
        for i in range(5):
            client.chat_postMessage(channel="C1", text=f"free {i}")


def test_response_url_faults(stand_in: SlackWebApiStandIn) -> None:
    url = stand_in.new_response_url(channel=CHANNEL, user="U0REQUESTER")
    stand_in.fail_next("response_url", 1, "server_error")
    assert httpx.post(url, json={"text": "x"}).status_code == 500
    assert httpx.post(url, json={"text": "y"}).status_code == 200
    assert [r.text for r in stand_in.responses()] == ["y"]
