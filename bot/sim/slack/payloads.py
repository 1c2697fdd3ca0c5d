"""Pure builders of what Slack sends to an app's request URL, in Slack's own shapes.

Slash commands are form fields; interactions are a form field `payload` holding JSON; events are
a JSON `event_callback` envelope. Nothing here talks to the network or reads a clock: IDs and
times are arguments, so tests and the console get the same bytes for the same inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from bot.sim.slack.workspace import Workspace

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

Payload = dict[str, Any]


# -- bodies ------------------------------------------------------------------------------------


def form_body(fields: Mapping[str, str]) -> bytes:
    """A form-encoded body, as Slack sends slash commands."""
    return urlencode(fields).encode()


def interaction_body(payload: Mapping[str, Any]) -> bytes:
    """The form body carrying an interaction: one field `payload` with compact JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def json_body(payload: Mapping[str, Any]) -> bytes:
    """A JSON body, as Slack sends the Events API."""
    return json.dumps(payload, separators=(",", ":")).encode()


# -- shared pieces -----------------------------------------------------------------------------


def user_object(workspace: Workspace, user_id: str) -> Payload:
    """The `user` object of an interaction payload."""
    name = workspace.user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": workspace.team_id}


def team_object(workspace: Workspace) -> Payload:
    """The `team` object of an interaction payload."""
    return {"id": workspace.team_id, "domain": workspace.team_domain}


def _interaction_base(workspace: Workspace, kind: str, user_id: str, trigger_id: str) -> Payload:
    return {
        "type": kind,
        "user": user_object(workspace, user_id),
        "api_app_id": workspace.app_id,
        "token": workspace.verification_token,
        "trigger_id": trigger_id,
        "team": team_object(workspace),
        "enterprise": None,
        "is_enterprise_install": False,
    }


# -- slash commands ----------------------------------------------------------------------------


def slash_command_fields(
    workspace: Workspace,
    *,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    return {
        "token": workspace.verification_token,
        "team_id": workspace.team_id,
        "team_domain": workspace.team_domain,
        "channel_id": channel_id,
        "channel_name": workspace.channel_name(channel_id),
        "user_id": user_id,
        "user_name": workspace.user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": workspace.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


# -- block actions -----------------------------------------------------------------------------


def iter_buttons(blocks: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Payload]]:
    """Every button in `blocks` with the block_id Slack would report for it."""
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"sim-block-{index}")
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    yield block_id, dict(element)
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping) and accessory.get("type") == "button":
            yield block_id, dict(accessory)


def find_button(
    blocks: Sequence[Mapping[str, Any]], action_id: str, value: str | None = None
) -> tuple[str, Payload]:
    """The (block_id, button) a person would click; LookupError when there is none to click."""
    for block_id, button in iter_buttons(blocks):
        if button.get("action_id") == action_id and (value is None or button.get("value") == value):
            return block_id, button
    shown = "" if value is None else f" with value {value!r}"
    raise LookupError(f"no button {action_id!r}{shown} in these blocks")


def button_action(
    *, action_id: str, block_id: str, value: str | None, action_ts: str, text: str = ""
) -> Payload:
    """One entry of a block_actions `actions` list for a clicked button."""
    action: Payload = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text or action_id, "emoji": True},
        "type": "button",
        "action_ts": action_ts,
    }
    if value is not None:
        action["value"] = value
    return action


def button_action_from(button: Mapping[str, Any], *, block_id: str, action_ts: str) -> Payload:
    """The `actions` entry for clicking this rendered button (keeps its style and text)."""
    text_obj = button.get("text")
    action = button_action(
        action_id=str(button.get("action_id", "")),
        block_id=block_id,
        value=button.get("value"),
        action_ts=action_ts,
        text=str(text_obj.get("text", "")) if isinstance(text_obj, Mapping) else "",
    )
    if "style" in button:
        action["style"] = button["style"]
    return action


def message_block_actions(
    workspace: Workspace,
    *,
    user_id: str,
    channel_id: str,
    message: Mapping[str, Any],
    actions: Sequence[Mapping[str, Any]],
    trigger_id: str,
    response_url: str,
    is_ephemeral: bool = False,
) -> Payload:
    """A click on a message's button (`message` is the API message object, with `ts`)."""
    payload = _interaction_base(workspace, "block_actions", user_id, trigger_id)
    payload["container"] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    payload["channel"] = {"id": channel_id, "name": workspace.channel_name(channel_id)}
    if not is_ephemeral:
        payload["message"] = dict(message)
    payload["state"] = {"values": {}}
    payload["response_url"] = response_url
    payload["actions"] = [dict(a) for a in actions]
    return payload


def view_block_actions(
    workspace: Workspace,
    *,
    user_id: str,
    view: Mapping[str, Any],
    actions: Sequence[Mapping[str, Any]],
    trigger_id: str,
) -> Payload:
    """A click inside a view (App Home or a modal): no channel and no response_url."""
    payload = _interaction_base(workspace, "block_actions", user_id, trigger_id)
    payload["container"] = {"type": "view", "view_id": view["id"]}
    payload["view"] = dict(view)
    payload["actions"] = [dict(a) for a in actions]
    return payload


# -- view submissions --------------------------------------------------------------------------


def plain_text_value(value: str | None) -> Payload:
    """State of a `plain_text_input` after the user typed `value` (None: left empty)."""
    return {"type": "plain_text_input", "value": value}


def static_select_value(value: str | None, text: str | None = None) -> Payload:
    """State of a `static_select` after choosing the option `value` (None: nothing chosen)."""
    if value is None:
        return {"type": "static_select", "selected_option": None}
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def view_submission(
    workspace: Workspace,
    *,
    user_id: str,
    view: Mapping[str, Any],
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    trigger_id: str,
) -> Payload:
    """A modal submitted with `values` ({block_id: {action_id: state}}) as its state."""
    payload = _interaction_base(workspace, "view_submission", user_id, trigger_id)
    submitted = dict(view)
    submitted["state"] = {"values": {b: dict(actions) for b, actions in values.items()}}
    payload["view"] = submitted
    payload["response_urls"] = []
    return payload


def modal_view(
    workspace: Workspace,
    *,
    view_id: str,
    definition: Mapping[str, Any],
    view_hash: str = "",
) -> Payload:
    """The view object of a modal built from a `views.open` definition (for view payloads)."""
    return {
        "id": view_id,
        "team_id": workspace.team_id,
        "type": definition.get("type", "modal"),
        "blocks": list(definition.get("blocks", [])),
        "private_metadata": definition.get("private_metadata", ""),
        "callback_id": definition.get("callback_id", ""),
        "state": {"values": {}},
        "hash": view_hash,
        "title": definition.get("title"),
        "close": definition.get("close"),
        "submit": definition.get("submit"),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": workspace.app_id,
        "external_id": definition.get("external_id", ""),
        "app_installed_team_id": workspace.team_id,
        "bot_id": workspace.bot_id,
    }


# -- events ------------------------------------------------------------------------------------


def app_home_opened(
    *, user_id: str, channel_id: str, event_ts: str, view: Mapping[str, Any] | None = None
) -> Payload:
    """The `app_home_opened` event for the Home tab (with the current view once one exists)."""
    event: Payload = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": "home",
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = dict(view)
    return event


def event_callback(
    workspace: Workspace, *, event: Mapping[str, Any], event_id: str, event_time: int
) -> Payload:
    """The Events API envelope around one event."""
    return {
        "token": workspace.verification_token,
        "team_id": workspace.team_id,
        "api_app_id": workspace.app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": workspace.team_id,
                "user_id": workspace.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-sim-{event_id}",
    }


def url_verification(workspace: Workspace, *, challenge: str) -> Payload:
    """The handshake Slack sends when the request URL is saved."""
    return {
        "token": workspace.verification_token,
        "challenge": challenge,
        "type": "url_verification",
    }
