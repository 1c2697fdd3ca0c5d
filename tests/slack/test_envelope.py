"""The shape check before Bolt: Slack's own payloads pass, each broken field is named.

Pure: payloads built by the Slack stand-in's builders (bot/sim/slack/payloads.py), then one
field changed. That each of these answers 400 and not 500 over HTTP is the fuzz test's job
(test_surface_http_fuzz.py); here every rule is pinned, and so is what it must not refuse.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.sim.slack import payloads
from bot.sim.slack.workspace import DEFAULT_WORKSPACE as WS
from bot.slack.envelope import problem

VIEW = {"id": "V1", "type": "modal", "callback_id": "detach_modal", "blocks": []}
BUTTON = payloads.button_action(action_id="approve_request", block_id="b", value="1", action_ts="1")
MESSAGE = {"type": "message", "ts": "1.2", "user": "U0SIMBOT", "bot_id": "B0SIMBOT", "blocks": []}

SLACKS_OWN: dict[str, dict[str, Any]] = {
    "slash command": payloads.slash_command_fields(
        WS,
        command="/eni",
        text="help",
        user_id="U1",
        channel_id="C1",
        response_url="https://hooks.slack.com/x",
        trigger_id="t",
    ),
    "click on a message": payloads.message_block_actions(
        WS,
        user_id="U1",
        channel_id="C1",
        message=MESSAGE,
        actions=[BUTTON],
        trigger_id="t",
        response_url="https://hooks.slack.com/x",
    ),
    "click on App Home": payloads.view_block_actions(
        WS, user_id="U1", view={**VIEW, "type": "home"}, actions=[BUTTON], trigger_id="t"
    ),
    "modal submission": payloads.view_submission(
        WS,
        user_id="U1",
        view=VIEW,
        values={"eni": {"eni": payloads.plain_text_value("eni-1")}},
        trigger_id="t",
    ),
    "app_home_opened": payloads.event_callback(
        WS,
        event=payloads.app_home_opened(user_id="U1", channel_id="D1", event_ts="1", view=VIEW),
        event_id="Ev1",
        event_time=1,
    ),
    "message_changed": payloads.event_callback(
        WS,
        event={
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "message": MESSAGE,
            "previous_message": dict(MESSAGE),
        },
        event_id="Ev2",
        event_time=1,
    ),
    "reaction_added": payloads.event_callback(
        WS,
        event={"type": "reaction_added", "user": "U1", "item": {"type": "message", "ts": "1"}},
        event_id="Ev3",
        event_time=1,
    ),
    "url_verification": payloads.url_verification(WS, challenge="c"),
}


@pytest.mark.parametrize("name", list(SLACKS_OWN))
def test_slacks_own_payloads_pass(name: str) -> None:
    assert problem(SLACKS_OWN[name]) is None


def _changed(name: str, path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(SLACKS_OWN[name])
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return body


DELETE = object()
BROKEN = [
    ("click on a message", "type", ["block_actions"], "type is not a string"),
    ("click on a message", "actions", [], "actions is not a non-empty list"),
    ("click on a message", "actions", {"0": BUTTON}, "actions is not a non-empty list"),
    ("click on a message", "actions", ["approve_request"], "an action is not an object"),
    ("click on a message", "actions.0.action_id", DELETE, "an action is not an object"),
    ("click on a message", "actions.0.action_id", 7, "an action is not an object"),
    ("click on a message", "container", "C1", "container is not an object"),
    ("click on a message", "container", None, "container is not an object"),
    ("click on a message", "message", [MESSAGE], "message is not an object"),
    ("click on a message", "message.user", 7, "message.user is neither an ID nor an object"),
    ("click on a message", "team", 7, "team is neither an ID nor an object"),
    ("click on a message", "channel", ["C1"], "channel is neither an ID nor an object"),
    ("click on a message", "enterprise", 1.5, "enterprise is neither an ID nor an object"),
    ("click on a message", "user", "U1", "an interaction without user.id"),
    ("click on a message", "user.id", "", "an interaction without user.id"),
    ("click on a message", "user", None, "an interaction without user.id"),
    ("click on a message", "response_url", ["x"], "response_url is not a string"),
    ("click on a message", "trigger_id", 7, "trigger_id is not a string"),
    ("modal submission", "view", "V1", "view is not an object"),
    ("modal submission", "view.type", DELETE, "view.type is not a string"),
    ("modal submission", "view.callback_id", 7, "view.callback_id is not a string"),
    ("modal submission", "response_urls", {}, "response_urls is not a list of objects"),
    ("modal submission", "response_urls", ["x"], "response_urls is not a list of objects"),
    ("app_home_opened", "event", None, "event is not an object"),
    ("app_home_opened", "event", "app_home_opened", "event is not an object"),
    ("app_home_opened", "event.type", DELETE, "event.type is not a string"),
    ("app_home_opened", "event.type", ["x"], "event.type is not a string"),
    ("app_home_opened", "event.view", "V1", "event.view is not an object"),
    ("app_home_opened", "event.user", 7, "event.user is neither an ID nor an object"),
    ("app_home_opened", "authorizations", "x", "authorizations is not a list of objects"),
    ("app_home_opened", "authorizations", [[]], "authorizations is not a list of objects"),
    ("app_home_opened", "authorizations.0.team", [1], "authorizations[].team is neither"),
    ("message_changed", "event.message", "m", "event.message is not an object"),
    ("message_changed", "event.previous_message.user", [], "event.previous_message.user is"),
    ("reaction_added", "event.item", None, "event.item is not an object"),
    ("slash command", "user_id", "", "a slash command without user_id"),
    ("slash command", "channel_id", DELETE, "a slash command without channel_id"),
]


@pytest.mark.parametrize(("name", "path", "value", "named"), BROKEN, ids=lambda v: str(v)[:30])
def test_each_broken_field_is_named(name: str, path: str, value: Any, named: str) -> None:
    found = problem(_changed(name, path, value))
    assert found is not None and found.startswith(named), found


@pytest.mark.parametrize("body", [None, [], "x", 7, [{"type": "block_actions"}]])
def test_a_body_that_is_not_an_object(body: Any) -> None:
    assert problem(body) == "the body is not an object"
