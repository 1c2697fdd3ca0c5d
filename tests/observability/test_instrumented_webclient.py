"""InstrumentedWebClient against the Slack stand-in: ok, errors, 429s, connection failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from obs_scrape import value
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.observability.metrics import Metrics
from bot.observability.slack_client import InstrumentedWebClient, RateLimitCounter
from bot.sim.slack import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.sim.slack.faults import FaultKind

CHANNEL = "C0ENIOPS"
CALLS = "eni_bot_slack_calls_total"
LIMITED = "eni_bot_slack_rate_limited_total"


@pytest.fixture
def stand_in() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn(channels=[CHANNEL]) as server:
        yield server


def client_for(stand_in: SlackWebApiStandIn, metrics: Metrics, **kwargs: object) -> WebClient:
    return InstrumentedWebClient(
        token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url, metrics=metrics, **kwargs
    )


def test_ok_and_error_calls_are_counted_by_method_and_result(
    stand_in: SlackWebApiStandIn,
) -> None:
    metrics = Metrics()
    client = client_for(stand_in, metrics, retry_handlers=[])
    assert client.chat_postMessage(channel=CHANNEL, text="hello")["ok"] is True
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="lost")
    assert value(metrics, CALLS, method="chat.postMessage", result="ok") == 1
    assert value(metrics, CALLS, method="chat.postMessage", result="channel_not_found") == 1
    assert value(metrics, "eni_bot_slack_call_seconds_count", method="chat.postMessage") == 2
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["hello"]


def test_a_429_that_is_not_retried_is_counted_and_raised(stand_in: SlackWebApiStandIn) -> None:
    metrics = Metrics()
    client = client_for(stand_in, metrics, retry_handlers=[])
    stand_in.fail_next("chat.postMessage", kind=FaultKind.RATE_LIMITED, retry_after=0)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=CHANNEL, text="hello")
    assert raised.value.response.status_code == 429
    assert value(metrics, LIMITED, method="chat.postMessage") == 1
    assert value(metrics, CALLS, method="chat.postMessage", result="ratelimited") == 1


def test_a_retried_429_is_counted_once_and_the_call_succeeds(
    stand_in: SlackWebApiStandIn,
) -> None:
    metrics = Metrics()
    client = client_for(
        stand_in, metrics, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    stand_in.fail_next("chat.update", kind=FaultKind.RATE_LIMITED, retry_after=0)
    posted = client.chat_postMessage(channel=CHANNEL, text="v1")
    client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v2")
    assert value(metrics, LIMITED, method="chat.update") == 1
    assert value(metrics, CALLS, method="chat.update", result="ok") == 1
    assert value(metrics, LIMITED, method="chat.postMessage") is None


def test_connection_failure_is_counted_by_exception_type() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    metrics = Metrics()
    client = InstrumentedWebClient(
        token=DEFAULT_BOT_TOKEN,
        base_url=f"http://127.0.0.1:{port}/api/",
        metrics=metrics,
        retry_handlers=[],
        timeout=2,
    )
    with pytest.raises(OSError):
        client.auth_test()
    assert value(metrics, CALLS, method="auth.test", result="URLError") == 1


def test_like_copies_the_client_and_keeps_its_retry_handlers(
    stand_in: SlackWebApiStandIn,
) -> None:
    metrics = Metrics()
    handler = RateLimitErrorRetryHandler(max_retry_count=2)
    plain = WebClient(
        token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url, timeout=7, retry_handlers=[handler]
    )
    copy = InstrumentedWebClient.like(plain, metrics)
    assert (copy.token, copy.base_url, copy.timeout) == (plain.token, plain.base_url, 7)
    assert isinstance(copy.retry_handlers[0], RateLimitCounter)
    assert copy.retry_handlers[1:] == [handler]
    assert plain.retry_handlers == [handler]
    assert copy.auth_test()["ok"] is True
    assert value(metrics, CALLS, method="auth.test", result="ok") == 1


def test_a_quiet_copy_counts_429s_but_never_retries(stand_in: SlackWebApiStandIn) -> None:
    metrics = Metrics()
    plain = WebClient(
        token=DEFAULT_BOT_TOKEN,
        base_url=stand_in.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
    )
    quiet = InstrumentedWebClient.like(plain, metrics, retry_handlers=[])
    assert [type(h) for h in quiet.retry_handlers] == [RateLimitCounter]
    stand_in.fail_next("chat.postMessage", kind=FaultKind.RATE_LIMITED, retry_after=0)
    with pytest.raises(SlackApiError):
        quiet.chat_postMessage(channel=CHANNEL, text="once")
    assert len(stand_in.calls("chat.postMessage")) == 1
    assert value(metrics, LIMITED, method="chat.postMessage") == 1


def test_the_relays_quiet_client_stays_instrumented_and_never_retries() -> None:
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    from bot.observability.metrics import Metrics
    from bot.observability.slack_client import InstrumentedWebClient
    from bot.slack.notifier import quiet_client

    metrics = Metrics()
    client = InstrumentedWebClient(
        token="xoxb-test",
        retry_handlers=[RateLimitErrorRetryHandler(), ConnectionErrorRetryHandler()],
        metrics=metrics,
    )
    quiet = quiet_client(client)
    assert isinstance(quiet, InstrumentedWebClient)
    assert quiet.metrics is metrics
    assert not any(
        isinstance(h, (RateLimitErrorRetryHandler, ConnectionErrorRetryHandler))
        for h in quiet.retry_handlers
    )
