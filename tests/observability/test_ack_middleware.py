"""Bolt middleware: ack latency by kind, and the listener's client instrumented."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from obs_scrape import value
from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.observability.bolt import (
    RECEIVED_AT,
    ack_timer_middleware,
    kind_of,
    slack_client_middleware,
)
from bot.observability.metrics import Metrics
from bot.sim.slack import DEFAULT_BOT_TOKEN, DEFAULT_WORKSPACE, SlackWebApiStandIn, payloads
from bot.sim.slack.signing import signed_request

SECRET = "obs-test-signing-secret"
CHANNEL = "C0ENIOPS"
USER = "U0REQUESTER"
ACKS = "eni_bot_ack_seconds_count"


@pytest.fixture
def stand_in() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn(channels=[CHANNEL]) as server:
        yield server


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def app(stand_in: SlackWebApiStandIn, metrics: Metrics) -> App:
    """One listener per kind; the command listener also posts through its `client`."""
    app = App(
        client=WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    app.use(ack_timer_middleware(metrics))
    app.use(slack_client_middleware(metrics))

    @app.command("/eni")
    def on_command(ack: Ack, client: WebClient) -> None:
        ack(text="ok")
        ack(text="a second ack is not timed again")
        client.chat_postMessage(channel=CHANNEL, text="card")

    @app.action("approve_request")
    def on_action(ack: Ack) -> None:
        ack()

    @app.view("detach_modal")
    def on_view(ack: Ack) -> None:
        ack()

    @app.event("app_home_opened")
    def on_event(event: Mapping[str, Any]) -> None:
        pass

    return app


def dispatch(
    app: App, body: bytes, content_type: str, context: dict[str, Any] | None = None
) -> Any:
    signed = signed_request(body, content_type=content_type, secret=SECRET, now=int(time.time()))
    headers: dict[str, Any] = dict(signed.headers)
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers, context=context))


def command_body() -> bytes:
    fields = payloads.slash_command_fields(
        DEFAULT_WORKSPACE,
        command="/eni",
        text="detach eni-1",
        user_id=USER,
        channel_id=CHANNEL,
        response_url="https://hooks.slack.com/commands/T/1/x",
        trigger_id="1.2.3",
    )
    return payloads.form_body(fields)


def action_body() -> bytes:
    message = {"ts": "1700000000.000100", "text": "card", "type": "message"}
    action = payloads.button_action(
        action_id="approve_request", block_id="b", value="1", action_ts="1700000001.0"
    )
    payload = payloads.message_block_actions(
        DEFAULT_WORKSPACE,
        user_id=USER,
        channel_id=CHANNEL,
        message=message,
        actions=[action],
        trigger_id="1.2.4",
        response_url="https://hooks.slack.com/actions/T/1/x",
    )
    return payloads.interaction_body(payload)


def view_body() -> bytes:
    view = payloads.modal_view(
        DEFAULT_WORKSPACE,
        view_id="V1",
        definition={"type": "modal", "callback_id": "detach_modal", "blocks": []},
    )
    payload = payloads.view_submission(
        DEFAULT_WORKSPACE, user_id=USER, view=view, values={}, trigger_id="1.2.5"
    )
    return payloads.interaction_body(payload)


def event_body() -> bytes:
    event = payloads.app_home_opened(user_id=USER, channel_id="D1", event_ts="1700000002.0")
    payload = payloads.event_callback(
        DEFAULT_WORKSPACE, event=event, event_id="Ev1", event_time=1700000002
    )
    return payloads.json_body(payload)


def test_each_kind_is_timed_once(app: App, metrics: Metrics, stand_in: SlackWebApiStandIn) -> None:
    assert dispatch(app, command_body(), payloads.FORM).status == 200
    assert dispatch(app, action_body(), payloads.FORM).status == 200
    assert dispatch(app, view_body(), payloads.FORM).status == 200
    assert dispatch(app, event_body(), payloads.JSON).status == 200
    for kind in ("command", "action", "view", "event"):
        assert value(metrics, ACKS, kind=kind) == 1, kind
    # The listener's own client was swapped for an instrumented one.
    calls = "eni_bot_slack_calls_total"
    assert value(metrics, calls, method="chat.postMessage", result="ok") == 1
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["card"]


def test_the_clock_starts_at_arrival_when_the_adapter_records_it(
    app: App, metrics: Metrics
) -> None:
    arrived = time.perf_counter() - 2.0  # as if the request had queued for two seconds
    dispatch(app, command_body(), payloads.FORM, context={RECEIVED_AT: arrived})
    assert value(metrics, ACKS, kind="command") == 1
    assert (value(metrics, "eni_bot_ack_seconds_sum", kind="command") or 0) >= 2.0
    assert value(metrics, "eni_bot_ack_seconds_bucket", kind="command", le="1.0") == 0


def test_a_forged_request_is_refused_before_the_timer(app: App, metrics: Metrics) -> None:
    body = command_body()
    headers = dict(signed_request(body, content_type=payloads.FORM, secret="wrong", now=0).headers)
    assert app.dispatch(BoltRequest(body=body.decode(), headers=dict(headers))).status == 401
    assert value(metrics, ACKS, kind="command") is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"command": "/eni", "text": ""}, "command"),
        ({"type": "block_actions", "actions": [{"action_id": "a"}]}, "action"),
        ({"type": "view_submission", "view": {"callback_id": "m"}}, "view"),
        ({"type": "event_callback", "event": {"type": "app_home_opened"}}, "event"),
        ({"type": "shortcut", "callback_id": "x"}, "shortcut"),
        ({"type": "something_else"}, "other"),
    ],
)
def test_kind_of(body: dict[str, Any], kind: str) -> None:
    assert kind_of(body) == kind
