"""A real Bolt app, with request verification on, accepts everything the sender builds.

First through `app.dispatch(BoltRequest(...))` with the sender's signed bodies, then end to end:
the sender over HTTP to the app, the app's WebClient and `respond()` to the stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from bolt_http import BoltHttpServer
from slack_bolt import Ack, App, BoltContext, Respond
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.sim.slack import (
    DEFAULT_BOT_TOKEN,
    Delivery,
    Forgery,
    SignedRequest,
    SlackSender,
    SlackWebApiStandIn,
    payloads,
)

SECRET = "sim-signing-secret"
CHANNEL = "C0ENIOPS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"

CARD: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Detach `eni-1`?"}},
    {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {
                "type": "button",
                "action_id": "approve_request",
                "value": "42",
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
            },
            {
                "type": "button",
                "action_id": "reject_request",
                "value": "42",
                "text": {"type": "plain_text", "text": "Reject"},
                "style": "danger",
            },
        ],
    },
]
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "detach_modal",
    "private_metadata": json.dumps({"channel": CHANNEL}),
    "title": {"type": "plain_text", "text": "Detach ENI"},
    "submit": {"type": "plain_text", "text": "Request"},
    "blocks": [
        {
            "type": "input",
            "block_id": "eni_id",
            "label": {"type": "plain_text", "text": "ENI"},
            "element": {"type": "plain_text_input", "action_id": "eni_id"},
        },
        {
            "type": "input",
            "block_id": "region",
            "label": {"type": "plain_text", "text": "Region"},
            "element": {
                "type": "static_select",
                "action_id": "region",
                "options": [
                    {"text": {"type": "plain_text", "text": "cn-hangzhou"}, "value": "cn-hangzhou"}
                ],
            },
        },
    ],
}


def build_app(stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]) -> App:
    """A Bolt app with one listener per kind the bot uses, recording what it was given."""
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    app = App(
        client=client,
        signing_secret=SECRET,
        request_verification_enabled=True,
        process_before_response=True,
    )

    @app.command("/eni")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        seen.append({"kind": "command", **command})
        if command["text"] == "":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
            return
        ack(text=f"working on {command['text']}")
        respond(text=f"checked {command['text']}")
        client.chat_postMessage(channel=command["channel_id"], text="card", blocks=CARD)

    @app.action("approve_request")
    def on_approve(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        seen.append({"kind": "action", **body})
        if body["container"]["type"] == "message":
            client.chat_update(
                channel=body["container"]["channel_id"],
                ts=body["container"]["message_ts"],
                text="Approved",
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Approved"}}],
            )
            respond(text="you approved it", response_type="ephemeral", replace_original=False)

    @app.action("retry_request")
    def on_retry(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        seen.append({"kind": "action", **body})
        respond(text="retrying", replace_original=True)

    @app.view("detach_modal")
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen.append({"kind": "view", **body})
        eni = view["state"]["values"]["eni_id"]["eni_id"]["value"]
        if not str(eni).startswith("eni-"):
            ack(response_action="errors", errors={"eni_id": "An ENI ID starts with eni-"})
            return
        ack()

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        seen.append({"kind": "event", **event})
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": CARD})

    return app


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def app(stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]) -> App:
    return build_app(stand_in, seen)


@pytest.fixture
def sender(stand_in: SlackWebApiStandIn) -> Iterator[SlackSender]:
    with SlackSender("http://127.0.0.1:9/unused", SECRET, stand_in=stand_in) as s:
        yield s


def dispatch(app: App, signed: SignedRequest) -> Any:
    headers: dict[str, str | Sequence[str]] = dict(signed.headers)
    return app.dispatch(BoltRequest(body=signed.body.decode(), headers=headers))


# -- dispatch: the sender's bodies, verified by Bolt ------------------------------------------


def test_bolt_verifies_and_routes_a_slash_command(
    app: App, sender: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    response_url = stand_in.new_response_url(channel=CHANNEL, user=REQUESTER)
    fields = payloads.slash_command_fields(
        sender.workspace,
        command="/eni",
        text="detach eni-1 because",
        user_id=REQUESTER,
        channel_id=CHANNEL,
        response_url=response_url,
        trigger_id=sender.trigger_id(),
    )
    answer = dispatch(app, sender.prepare(payloads.form_body(fields), payloads.FORM))
    assert answer.status == 200
    assert answer.body == "working on detach eni-1 because"
    assert seen[0]["user_id"] == REQUESTER and seen[0]["channel_name"] == "eni-ops"
    assert [r.text for r in stand_in.responses(response_url)] == ["checked detach eni-1 because"]
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["card"]


@pytest.mark.parametrize("forgery", list(Forgery))
def test_bolt_refuses_every_forgery_with_401(
    app: App, sender: SlackSender, seen: list[dict[str, Any]], forgery: Forgery
) -> None:
    fields = payloads.slash_command_fields(
        sender.workspace,
        command="/eni",
        text="help",
        user_id=REQUESTER,
        channel_id=CHANNEL,
        response_url="https://hooks.slack.com/commands/x",
        trigger_id="1.2.3",
    )
    signed = sender.prepare(payloads.form_body(fields), payloads.FORM, Delivery(forgery=forgery))
    assert dispatch(app, signed).status == 401
    assert seen == []


def test_bolt_routes_a_block_action_on_a_message(
    app: App, sender: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    posted = client.chat_postMessage(channel=CHANNEL, text="card", blocks=CARD)
    block_id, button = payloads.find_button(posted["message"]["blocks"], "approve_request")
    action = payloads.button_action_from(button, block_id=block_id, action_ts="1.000001")
    payload = payloads.message_block_actions(
        sender.workspace,
        user_id=APPROVER,
        channel_id=CHANNEL,
        message=posted["message"],
        actions=[action],
        trigger_id=sender.trigger_id(),
        response_url=stand_in.new_response_url(
            channel=CHANNEL, user=APPROVER, message_ts=posted["ts"]
        ),
    )
    answer = dispatch(app, sender.prepare(payloads.interaction_body(payload), payloads.FORM))
    assert answer.status == 200
    assert seen[0]["actions"][0]["value"] == "42"
    assert seen[0]["user"]["id"] == APPROVER
    updated = stand_in.message(CHANNEL, posted["ts"])
    assert updated is not None and updated.text == "Approved"
    assert [e.text for e in stand_in.ephemerals(APPROVER)] == ["you approved it"]


def test_bolt_routes_a_view_submission(
    app: App, sender: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    view = client.views_open(trigger_id=sender.trigger_id(), view=MODAL)["view"]
    values = {
        "eni_id": {"eni_id": payloads.plain_text_value("nope")},
        "region": {"region": payloads.static_select_value("cn-hangzhou")},
    }
    payload = payloads.view_submission(
        sender.workspace, user_id=REQUESTER, view=view, values=values, trigger_id="1.2.3"
    )
    answer = dispatch(app, sender.prepare(payloads.interaction_body(payload), payloads.FORM))
    assert answer.status == 200
    assert json.loads(answer.body) == {
        "response_action": "errors",
        "errors": {"eni_id": "An ENI ID starts with eni-"},
    }
    assert json.loads(seen[0]["view"]["private_metadata"]) == {"channel": CHANNEL}


def test_bolt_routes_an_event_and_url_verification(
    app: App, sender: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    event = payloads.app_home_opened(user_id=APPROVER, channel_id="D0APPROVER1", event_ts="1.2")
    envelope = payloads.event_callback(
        sender.workspace, event=event, event_id="Ev0SIM000001", event_time=1
    )
    answer = dispatch(app, sender.prepare(payloads.json_body(envelope), payloads.JSON))
    assert answer.status == 200
    assert seen[0]["tab"] == "home"
    assert stand_in.home(APPROVER) is not None
    challenge = payloads.url_verification(sender.workspace, challenge="c-123")
    handshake = dispatch(app, sender.prepare(payloads.json_body(challenge), payloads.JSON))
    assert json.loads(handshake.body) == {"challenge": "c-123"}


# -- end to end over HTTP ---------------------------------------------------------------------


@pytest.fixture
def live(app: App, stand_in: SlackWebApiStandIn) -> Iterator[SlackSender]:
    with (
        BoltHttpServer(app) as server,
        SlackSender(server.events_url, SECRET, stand_in=stand_in) as sender,
    ):
        yield sender


def test_command_then_click_over_http(
    live: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    answer = live.command("detach eni-1", user_id=REQUESTER)
    assert answer.status_code == 200 and answer.text == "working on detach eni-1"
    assert live.last is not None and live.last.response_url is not None
    assert [e.text for e in stand_in.ephemerals(REQUESTER)] == ["checked detach eni-1"]
    card = stand_in.messages(CHANNEL)[0]
    clicked = live.click(card, "approve_request", user_id=APPROVER)
    assert clicked.status_code == 200
    assert seen[-1]["container"] == {
        "type": "message",
        "message_ts": card.ts,
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    }
    approved = stand_in.message(CHANNEL, card.ts)
    assert approved is not None
    # The buttons are gone, so a second click cannot even be made.
    with pytest.raises(LookupError):
        live.click(approved, "approve_request", user_id=APPROVER)


def test_modal_open_and_submit_over_http(
    live: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    assert live.command("", user_id=REQUESTER).status_code == 200
    (modal,) = stand_in.views(kind="modal")
    bad = {
        "eni_id": {"eni_id": payloads.plain_text_value("i-1")},
        "region": {"region": payloads.static_select_value(None)},
    }
    refused = live.submit_view(modal.id, bad, user_id=REQUESTER)
    assert refused.json()["response_action"] == "errors"
    shown = stand_in.view(modal.id)
    assert shown is not None and not shown.closed
    assert shown.errors == {"eni_id": "An ENI ID starts with eni-"}
    good = {
        "eni_id": {"eni_id": payloads.plain_text_value("eni-1")},
        "region": {"region": payloads.static_select_value("cn-hangzhou")},
    }
    answer = live.submit_view(modal.id, good, user_id=REQUESTER)
    assert answer.status_code == 200 and answer.text == ""
    assert seen[-1]["view"]["state"]["values"]["region"]["region"]["selected_option"]["value"] == (
        "cn-hangzhou"
    )
    closed = stand_in.view(modal.id)
    assert closed is not None and closed.closed and closed.errors == {}


def test_home_open_and_click_over_http(
    live: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    assert live.app_home_opened(APPROVER).status_code == 200
    assert live.click_home(APPROVER, "approve_request", value="42").status_code == 200
    home = stand_in.home(APPROVER)
    assert home is not None
    assert seen[-1]["container"] == {"type": "view", "view_id": home.id}
    assert "response_url" not in seen[-1]


def test_retry_headers_reach_the_app_and_stale_requests_do_not(
    live: SlackSender, seen: list[dict[str, Any]]
) -> None:
    retried = live.command("status 1", user_id=REQUESTER, delivery=Delivery(retry_num=1))
    assert retried.status_code == 200
    stale = live.command("status 1", user_id=REQUESTER, delivery=Delivery(forgery=Forgery.STALE))
    assert stale.status_code == 401
    assert len(seen) == 1


def test_click_on_an_ephemeral_message_over_http(
    live: SlackSender, stand_in: SlackWebApiStandIn, seen: list[dict[str, Any]]
) -> None:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
    retry = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "retry_request",
                    "value": "42",
                    "text": {"type": "plain_text", "text": "Retry"},
                }
            ],
        }
    ]
    client.chat_postEphemeral(channel=CHANNEL, user=APPROVER, text="stuck", blocks=retry)
    (ephemeral,) = stand_in.ephemerals(APPROVER)
    assert live.click(ephemeral, "retry_request", user_id=APPROVER).status_code == 200
    assert seen[-1]["container"]["is_ephemeral"] is True
    assert "message" not in seen[-1]
    assert [e.text for e in stand_in.ephemerals(APPROVER)] == ["stuck", "retrying"]
    assert stand_in.messages(CHANNEL) == []
