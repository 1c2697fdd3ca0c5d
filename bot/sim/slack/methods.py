"""The Web API methods the stand-in knows, by name; any other answers `unknown_method`.

Each method is a function of the workspace state and the call's arguments that returns Slack's
JSON body or raises `ApiError`. The two that touch no state are here; the rest live with their
family (`chat`, `views`, `reads`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bot.sim.slack import chat, reads, views
from bot.sim.slack.arguments import Params
from bot.sim.slack.state import SlackState

Method = Callable[[SlackState, Params], dict[str, Any]]
BoundMethod = Callable[[Params], dict[str, Any]]


def auth_test(state: SlackState, params: Params) -> dict[str, Any]:
    """`auth.test`: who the token belongs to (the token was checked before)."""
    ws = state.workspace
    return {
        "ok": True,
        "url": ws.url,
        "team": ws.team_name,
        "user": ws.bot_user_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def api_test(state: SlackState, params: Params) -> dict[str, Any]:
    """`api.test`: echo the arguments, as Slack does."""
    args = {k: v for k, v in params.items() if k != "token"}
    return {"ok": True, "args": args} if args else {"ok": True}


METHODS: dict[str, Method] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "chat.postMessage": chat.post_message,
    "chat.update": chat.update,
    "chat.delete": chat.delete,
    "chat.postEphemeral": chat.post_ephemeral,
    "views.open": views.open_modal,
    "views.push": views.open_modal,
    "views.update": views.update,
    "views.publish": views.publish,
    "usergroups.users.list": reads.usergroups_users_list,
    "users.info": reads.users_info,
    "conversations.history": reads.conversations_history,
    "conversations.replies": reads.conversations_replies,
    "conversations.info": reads.conversations_info,
}


def handler(state: SlackState, method: str) -> BoundMethod | None:
    """The implementation of a Web API method, or None for methods Slack would not know."""
    found = METHODS.get(method)
    return None if found is None else partial(found, state)
