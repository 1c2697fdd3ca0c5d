"""The read methods: conversations (info, history, replies), users and user groups.

Their arguments come from the query string or a form body only (`arguments.FORM_ONLY_METHODS`).
A channel the bot may not read answers as Slack does (`conversations`: `channel_not_found`
when hidden, `not_in_channel` when public without the bot).
"""

from __future__ import annotations

from typing import Any

from bot.sim.slack.arguments import ApiError, Params, flag_arg, int_arg, text_arg
from bot.sim.slack.conversations import Conversation
from bot.sim.slack.records import Message
from bot.sim.slack.state import SlackState


def users_info(state: SlackState, params: Params) -> dict[str, Any]:
    """`users.info`: a minimal profile; any U…/W… ID is a user, as the console needs."""
    user = text_arg(params, "user")
    if not user or user[0] not in "UW":
        raise ApiError("user_not_found")
    ws = state.workspace
    name = ws.user_name(user)
    return {
        "ok": True,
        "user": {
            "id": user,
            "team_id": ws.team_id,
            "name": name,
            "real_name": name.title(),
            "deleted": False,
            "is_bot": user == ws.bot_user_id,
            "tz": "UTC",
            "profile": {"real_name": name.title(), "display_name": name},
        },
    }


def usergroups_users_list(state: SlackState, params: Params) -> dict[str, Any]:
    """`usergroups.users.list`: members of a group, or the configured plan/scope refusal."""
    if state.usergroups_error == "missing_scope":
        raise ApiError("missing_scope", needed="usergroups:read", provided="chat:write,commands")
    if state.usergroups_error:
        raise ApiError(state.usergroups_error)
    group = text_arg(params, "usergroup")
    if not group:
        raise ApiError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: usergroup"]},
        )
    if group not in state.usergroups:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(state.usergroups[group])}


def conversations_info(state: SlackState, params: Params) -> dict[str, Any]:
    """`conversations.info`: what the channel is and whether the bot is in it."""
    channel = text_arg(params, "channel")
    state.check_channel(channel, "conversations.info")
    known = state.conversations.get(channel) or Conversation(
        channel, name=state.workspace.channel_name(channel)
    )
    return {"ok": True, "channel": known.as_api(created=int(state.wall_clock()))}


def _channel_messages(
    state: SlackState, params: Params, method: str
) -> tuple[str, dict[str, Message]]:
    channel = text_arg(params, "channel")
    state.check_channel(channel, method)
    return channel, state.messages.get(channel, {})


def _in_window(ts: str, params: Params) -> bool:
    inclusive = flag_arg(params, "inclusive")
    value = float(ts)
    oldest = params.get("oldest")
    latest = params.get("latest")
    if oldest not in (None, ""):
        bound = float(str(oldest))
        if value < bound or (value == bound and not inclusive):
            return False
    if latest not in (None, ""):
        bound = float(str(latest))
        if value > bound or (value == bound and not inclusive):
            return False
    return True


def conversations_history(state: SlackState, params: Params) -> dict[str, Any]:
    """`conversations.history`: top-level messages, newest first, metadata on request."""
    _, stored = _channel_messages(state, params, "conversations.history")
    with_metadata = flag_arg(params, "include_all_metadata")
    limit = max(1, min(int_arg(params, "limit", 100), 999))
    cursor = text_arg(params, "cursor")
    picked = [
        m
        for m in reversed(stored.values())
        if (not m.is_reply or m.reply_broadcast)
        and _in_window(m.ts, params)
        and (not cursor or float(m.ts) < float(cursor))
    ]
    page = picked[:limit]
    has_more = len(picked) > limit
    return {
        "ok": True,
        "messages": [state.api_message(m, with_metadata=with_metadata) for m in page],
        "has_more": has_more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": page[-1].ts if has_more else ""},
    }


def conversations_replies(state: SlackState, params: Params) -> dict[str, Any]:
    """`conversations.replies`: the thread's parent then its replies, oldest first."""
    channel, stored = _channel_messages(state, params, "conversations.replies")
    start = state.find(channel, text_arg(params, "ts"))
    if start is None:
        raise ApiError("thread_not_found")
    parent = start
    if start.is_reply and start.thread_ts:
        parent = state.find(channel, start.thread_ts) or start
    with_metadata = flag_arg(params, "include_all_metadata")
    limit = max(1, min(int_arg(params, "limit", 1000), 1000))
    cursor = text_arg(params, "cursor")
    replies = [
        m
        for m in stored.values()
        if m.is_reply
        and m.thread_ts == parent.ts
        and _in_window(m.ts, params)
        and (not cursor or float(m.ts) > float(cursor))
    ]
    page = ([] if cursor else [parent]) + replies
    has_more = len(page) > limit
    page = page[:limit]
    return {
        "ok": True,
        "messages": [state.api_message(m, with_metadata=with_metadata) for m in page],
        "has_more": has_more,
        "response_metadata": {"next_cursor": page[-1].ts if has_more else ""},
    }
