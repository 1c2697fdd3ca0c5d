"""Metrics: each observation shows up in render() under its name and labels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from obs_loopback import Answer, ScriptedServer
from obs_scrape import samples, value

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError
from bot.ecs.retry import RetryPolicy
from bot.observability.metrics import Metrics


def test_render_is_prometheus_text_and_openmetrics_on_request() -> None:
    metrics = Metrics()
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    assert b"# TYPE eni_bot_ack_seconds histogram" in body
    body, content_type = metrics.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


def test_transitions_are_counted_by_from_and_to() -> None:
    metrics = Metrics()
    metrics.observe_transition(None, "pending")
    metrics.observe_transition("pending", "approved")
    metrics.observe_transition("pending", "approved")
    assert value(metrics, "eni_bot_transitions_total", from_state="none", to_state="pending") == 1
    got = value(metrics, "eni_bot_transitions_total", from_state="pending", to_state="approved")
    assert got == 2


def test_slack_calls_by_method_and_result_and_429s() -> None:
    metrics = Metrics()
    metrics.observe_slack_call("chat.postMessage", True, None, 0.05)
    metrics.observe_slack_call("chat.postMessage", False, "channel_not_found", 0.02)
    metrics.observe_rate_limited("chat.update")
    ok = value(metrics, "eni_bot_slack_calls_total", method="chat.postMessage", result="ok")
    err = value(
        metrics, "eni_bot_slack_calls_total", method="chat.postMessage", result="channel_not_found"
    )
    assert ok == 1 and err == 1
    assert value(metrics, "eni_bot_slack_rate_limited_total", method="chat.update") == 1
    assert value(metrics, "eni_bot_slack_call_seconds_count", method="chat.postMessage") == 2


def test_poll_cycle_spreads_enis_over_describe_calls() -> None:
    metrics = Metrics()
    metrics.observe_poll_cycle(0.3, enis=250, describe_calls=3)
    metrics.observe_poll_cycle(0.01, enis=0, describe_calls=0)
    assert value(metrics, "eni_bot_poll_cycle_seconds_count") == 2
    assert value(metrics, "eni_bot_enis_per_describe_call_count") == 3
    assert value(metrics, "eni_bot_enis_per_describe_call_sum") == 250
    # 84, 83, 83: all three above 50, none above 100.
    assert value(metrics, "eni_bot_enis_per_describe_call_bucket", le="50.0") == 0
    assert value(metrics, "eni_bot_enis_per_describe_call_bucket", le="100.0") == 3


@pytest.mark.parametrize("kind", ["command", "action", "view", "event"])
def test_ack_latency_by_kind(kind: str) -> None:
    metrics = Metrics()
    metrics.observe_ack(kind, 0.004)
    assert value(metrics, "eni_bot_ack_seconds_count", kind=kind) == 1
    assert value(metrics, "eni_bot_ack_seconds_bucket", kind=kind, le="0.005") == 1


def test_outside_label_values_are_bounded() -> None:
    metrics = Metrics()
    metrics.observe_ack("something-new", 0.01)
    metrics.observe_slack_call("chat.postMessage", False, "x" * 500 + ' "quoted"\n', 0.01)
    assert value(metrics, "eni_bot_ack_seconds_count", kind="other") == 1
    results = [
        dict(labels)["result"]
        for (name, labels) in samples(metrics)
        if name == "eni_bot_slack_calls_total"
    ]
    assert results == ["x" * 64]


def test_two_runtimes_do_not_share_series() -> None:
    first, second = Metrics(), Metrics()
    first.observe_ack("command", 0.01)
    assert value(second, "eni_bot_ack_seconds_count", kind="command") is None


@pytest.fixture
def ecs() -> Iterator[ScriptedServer]:
    body = {"RequestId": "req-1", "NetworkInterfaceSets": {"NetworkInterfaceSet": []}}
    with ScriptedServer(Answer(200, body)) as server:
        yield server


def test_ecs_observer_counts_attempts_codes_and_retries(ecs: ScriptedServer) -> None:
    metrics = Metrics()
    client = EcsClient(
        credentials=StaticCredentials("ak-id", "ak-secret"),
        endpoint=ecs.url,
        retry=RetryPolicy(sleep=lambda _s: None),
        observer=metrics.ecs_observer,
    )
    ecs.queue.append(Answer(503, {"Code": "ServiceUnavailable", "RequestId": "r0"}))
    with client:
        assert client.describe_network_interfaces("cn-hangzhou", ["eni-1"]) == []
        ecs.queue.append(Answer(404, {"Code": "InvalidEniId.NotFound", "RequestId": "r2"}))
        with pytest.raises(EcsError):
            client.detach_network_interface("cn-hangzhou", "eni-1", "i-1")
    describe, detach = "DescribeNetworkInterfaces", "DetachNetworkInterface"
    calls = "eni_bot_ecs_calls_total"
    assert value(metrics, calls, action=describe, code="ServiceUnavailable") == 1
    assert value(metrics, calls, action=describe, code="OK") == 1
    assert value(metrics, calls, action=detach, code="InvalidEniId.NotFound") == 1
    assert value(metrics, "eni_bot_ecs_retries_total", action=describe) == 1
    assert value(metrics, "eni_bot_ecs_retries_total", action=detach) is None
    assert value(metrics, "eni_bot_ecs_call_seconds_count", action=describe) == 2
