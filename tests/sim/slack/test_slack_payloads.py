"""Payload builders produce Slack's field sets and are pure (same input, same bytes)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.sim.slack import DEFAULT_WORKSPACE, payloads

BLOCKS: list[dict[str, Any]] = [
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Stuck"},
        "accessory": {
            "type": "button",
            "action_id": "retry_request",
            "value": "7",
            "text": {"type": "plain_text", "text": "Retry"},
        },
    },
    {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {"type": "button", "action_id": "approve_request", "value": "7", "text": {}},
            {"type": "button", "action_id": "approve_request", "value": "8", "text": {}},
        ],
    },
]


def test_slash_command_has_exactly_slacks_fields() -> None:
    fields = payloads.slash_command_fields(
        DEFAULT_WORKSPACE,
        command="/eni",
        text="detach eni-1 & more",
        user_id="U0REQUESTER",
        channel_id="C0ENIOPS",
        response_url="http://r",
        trigger_id="1.2.3",
    )
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    decoded = parse_qs(payloads.form_body(fields).decode())
    assert decoded["text"] == ["detach eni-1 & more"]
    assert decoded["command"] == ["/eni"]


def test_interaction_body_is_one_payload_field_of_json() -> None:
    body = payloads.interaction_body({"type": "block_actions", "x": [1]})
    (payload,) = parse_qs(body.decode())["payload"]
    assert json.loads(payload) == {"type": "block_actions", "x": [1]}
    assert body == payloads.interaction_body({"type": "block_actions", "x": [1]})


def test_find_button_reports_block_ids_and_honours_value() -> None:
    block_id, button = payloads.find_button(BLOCKS, "retry_request")
    assert (block_id, button["value"]) == ("sim-block-0", "7")
    block_id, button = payloads.find_button(BLOCKS, "approve_request", "8")
    assert (block_id, button["value"]) == ("decision", "8")
    with pytest.raises(LookupError):
        payloads.find_button(BLOCKS, "reject_request")


def test_view_submission_carries_state_and_no_channel() -> None:
    view = payloads.modal_view(
        DEFAULT_WORKSPACE,
        view_id="V1",
        definition={"type": "modal", "callback_id": "detach_modal", "private_metadata": "C1"},
    )
    payload = payloads.view_submission(
        DEFAULT_WORKSPACE,
        user_id="U0REQUESTER",
        view=view,
        values={"reason": {"reason": payloads.plain_text_value("why")}},
        trigger_id="1.2.3",
    )
    assert payload["type"] == "view_submission"
    assert payload["view"]["state"]["values"]["reason"]["reason"]["value"] == "why"
    assert "channel" not in payload and payload["response_urls"] == []
    assert view["state"] == {"values": {}}


def test_event_envelope() -> None:
    event = payloads.app_home_opened(user_id="U1", channel_id="D1", event_ts="1.2")
    envelope = payloads.event_callback(DEFAULT_WORKSPACE, event=event, event_id="Ev1", event_time=5)
    assert envelope["type"] == "event_callback" and envelope["event"]["tab"] == "home"
    assert envelope["authorizations"][0]["user_id"] == DEFAULT_WORKSPACE.bot_user_id
