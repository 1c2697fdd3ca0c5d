"""The shape a signed payload must have before Bolt reads it: Slack's, in the parts Bolt trusts.

Bolt reads some fields without checking them (`body["actions"][0]`, `body["view"]["type"]`,
`body.get("event", {}).get(...)`, `"id" in body["team"]`), so a payload of another shape makes
its middleware raise and the request answer 500. Slack always sends these fields in one shape;
`problem()` names the first field that is not, and the server answers 400 instead (the
sender's bug, not ours). Listeners still read every field defensively: this guards Bolt.

The rules, each with where Bolt relies on it (slack_bolt 1.2x):
- the body and, when present, `event`, `view`, `container`, `message`, `previous_message`,
  `item`, `assistant_thread`, `function_data`, `workflow_step`, `state` are objects
  (request/payload_utils.py, request/internals.py, middleware/ignoring_self_events);
- `user`, `team`, `channel`, `enterprise` are an ID or an object (request/internals.py);
- `type` is a string; an `event` has a string `type`; a `view` has a string `type` and, when
  present, a string `callback_id` (payload_utils.py, logger/messages.py);
- `actions` is a non-empty list of objects, each with a string `action_id`
  (payload_utils.to_action, listener_matcher/builtins._block_action);
- `authorizations` and `response_urls` are lists of objects; `response_url` is a string.
And two the listeners rely on, so that nothing is ever done in nobody's name: a slash command
has non-empty `user_id` and `channel_id`; an interaction names its `user` as an object with a
non-empty string `id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["problem"]

_OBJECTS = (
    "event",
    "view",
    "container",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "function_data",
    "workflow_step",
    "state",
)
_ID_OR_OBJECT = ("user", "team", "channel", "enterprise")
_LISTS_OF_OBJECTS = ("authorizations", "response_urls")
_STRINGS = ("type", "response_url", "callback_id", "trigger_id")
_INTERACTIONS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)


def problem(body: Any) -> str | None:
    """The first field of `body` not in the shape Slack sends; None when Bolt can read it all."""
    if not isinstance(body, Mapping):
        return "the body is not an object"
    found = _fields(body, "")
    if found:
        return found
    event = body.get("event")
    if isinstance(event, Mapping):
        if not isinstance(event.get("type"), str):
            return "event.type is not a string"
        found = _fields(event, "event.")
    view = body.get("view")
    if not found and isinstance(view, Mapping) and not isinstance(view.get("type"), str):
        found = "view.type is not a string"
    if not found and "actions" in body:
        found = _actions(body["actions"])
    return found or _who(body)


def _who(body: Mapping[str, Any]) -> str | None:
    if "command" in body:
        for key in ("user_id", "channel_id"):
            if not isinstance(body.get(key), str) or not body[key]:
                return f"a slash command without {key}"
    elif body.get("type") in _INTERACTIONS:
        user = body.get("user")
        if not isinstance(user, Mapping) or not isinstance(user.get("id"), str) or not user["id"]:
            return "an interaction without user.id"
    return None


def _fields(obj: Mapping[str, Any], where: str) -> str | None:
    """The rules that hold at every level Bolt walks into (the body, its event, a message)."""
    for key in _OBJECTS:
        if key in obj and not isinstance(obj[key], Mapping):
            # None too: Bolt's `body.get("event", {})` returns a None that was sent.
            return f"{where}{key} is not an object"
    for key in _ID_OR_OBJECT:
        if obj.get(key) is not None and not isinstance(obj[key], str | Mapping):
            return f"{where}{key} is neither an ID nor an object"
    for key in _STRINGS:
        if key in obj and not isinstance(obj[key], str):
            return f"{where}{key} is not a string"
    for key in _LISTS_OF_OBJECTS:
        value = obj.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
        ):
            return f"{where}{key} is not a list of objects"
    for key in ("message", "previous_message", "item", "assistant_thread"):
        inner = obj.get(key)
        if isinstance(inner, Mapping) and (found := _fields(inner, f"{where}{key}.")):
            return found
    for item in obj.get("authorizations") or ():
        if found := _fields(item, f"{where}authorizations[]."):
            return found
    view = obj.get("view")
    if isinstance(view, Mapping) and not isinstance(view.get("callback_id", ""), str):
        return f"{where}view.callback_id is not a string"
    return None


def _actions(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "actions is not a non-empty list"
    for action in actions:
        if not isinstance(action, Mapping) or not isinstance(action.get("action_id"), str):
            return "an action is not an object with a string action_id"
    return None
