"""The chat methods and `response_url` posts: what puts messages in channels and changes them.

Content limits are Slack's documented ones, applied alike to a new message and to an edit:
    text       at most 40,000 characters, else `msg_too_long` (Slack's "truncating really long
               messages" changelog, api.slack.com/changelog/2018-04-truncating-really-long-messages,
               and `msg_too_long` in chat.postMessage's and chat.update's error lists)
    blocks     at most 50 in a message (docs.slack.dev/reference/block-kit/blocks: "up to 50
               blocks in each message"), and each block within its own limits (`blockcheck`),
               else `invalid_blocks` with the problems in `response_metadata.messages`
"""

from __future__ import annotations

from typing import Any

from bot.sim.slack.arguments import ApiError, Params, Undecodable, flag_arg, text_arg
from bot.sim.slack.blockcheck import MAX_BLOCKS_MESSAGE, block_problems
from bot.sim.slack.records import Ephemeral
from bot.sim.slack.state import SlackState

MAX_TEXT = 40_000
RESPONSE_URL_USES = 5  # Slack: a response_url takes up to five posts (within 30 minutes)


def _blocks(params: Params) -> list[dict[str, Any]]:
    value = params.get("blocks")
    if value is None or value == "":
        return []
    if isinstance(value, Undecodable):
        raise ApiError("invalid_blocks_format")
    problems = block_problems(value, limit=MAX_BLOCKS_MESSAGE)
    if problems:
        raise ApiError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    return list(value)


def _text(params: Params, *, has_content: bool) -> str:
    """The message text; refused when there is nothing to show or it is too long."""
    text = text_arg(params, "text")
    if not text and not has_content:
        raise ApiError("no_text")
    if len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    return text


def _metadata(params: Params) -> dict[str, Any] | None:
    value = params.get("metadata")
    if value is None or value == "":
        return None
    if isinstance(value, Undecodable) or not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    event_type = value.get("event_type")
    payload = value.get("event_payload", {})
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def post_message(state: SlackState, params: Params) -> dict[str, Any]:
    """`chat.postMessage`: a new message or thread reply, with blocks and metadata."""
    channel = text_arg(params, "channel")
    state.check_channel(channel, "chat.postMessage")
    blocks = _blocks(params)
    text = _text(params, has_content=bool(blocks or params.get("attachments")))
    message = state.add_message(
        channel,
        text=text,
        blocks=blocks,
        thread_ts=text_arg(params, "thread_ts") or None,
        metadata=_metadata(params),
        reply_broadcast=flag_arg(params, "reply_broadcast"),
    )
    return {
        "ok": True,
        "channel": channel,
        "ts": message.ts,
        "message": state.api_message(message),
    }


def update(state: SlackState, params: Params) -> dict[str, Any]:
    """`chat.update`: replace text and blocks of an existing message (blocks kept if absent)."""
    channel = text_arg(params, "channel")
    state.check_channel(channel, "chat.update")
    message = state.find(channel, text_arg(params, "ts"))
    if message is None:
        raise ApiError("message_not_found")
    has_blocks = params.get("blocks") not in (None, "")
    blocks = _blocks(params)
    text = _text(params, has_content=bool(blocks) or has_blocks)
    metadata = _metadata(params)
    message.text = text
    if has_blocks:
        message.blocks = blocks
    if metadata is not None:
        message.metadata = metadata
    state.mark_edited(message)
    return {
        "ok": True,
        "channel": channel,
        "ts": message.ts,
        "text": message.text,
        "message": state.api_message(message),
    }


def delete(state: SlackState, params: Params) -> dict[str, Any]:
    """`chat.delete`: remove a message (its replies stay, as in Slack)."""
    channel = text_arg(params, "channel")
    state.check_channel(channel, "chat.delete")
    ts = text_arg(params, "ts")
    if state.messages.get(channel, {}).pop(ts, None) is None:
        raise ApiError("message_not_found")
    return {"ok": True, "channel": channel, "ts": ts}


def post_ephemeral(state: SlackState, params: Params) -> dict[str, Any]:
    """`chat.postEphemeral`: a message only one user in the channel sees."""
    channel = text_arg(params, "channel")
    state.check_channel(channel, "chat.postEphemeral")
    user = text_arg(params, "user")
    if not user:
        raise ApiError("user_not_found")
    blocks = _blocks(params)
    text = _text(params, has_content=bool(blocks or params.get("attachments")))
    ts = state.next_ts()
    state.ephemerals.append(
        Ephemeral(
            channel=channel,
            user=user,
            text=text,
            blocks=blocks,
            ts=ts,
            thread_ts=text_arg(params, "thread_ts") or None,
        )
    )
    return {"ok": True, "message_ts": ts}


def apply_response(
    state: SlackState, token: str, body: dict[str, Any]
) -> tuple[int, str, Ephemeral | None]:
    """Act on a `response_url` post: ephemeral, in channel, replace or delete the original."""
    target = state.response_targets.get(token)
    if target is None:
        return 404, "no_service", None
    if target["uses"] >= RESPONSE_URL_USES:
        return 404, "used_url", None
    target["uses"] += 1
    channel, user, original = target["channel"], target["user"], target["message_ts"]
    text = str(body.get("text") or "")
    blocks_value = body.get("blocks")
    problems = block_problems(blocks_value) if blocks_value is not None else []
    if problems:
        return 400, "invalid_blocks", None
    blocks = list(blocks_value or [])
    if target["ephemeral"] and flag_arg(body, "delete_original"):
        # Slack removes the ephemeral from that user's view; nothing else to change here.
        return 200, "ok", None
    if flag_arg(body, "delete_original"):
        if channel and original and state.messages.get(channel, {}).pop(original, None):
            return 200, "ok", None
        return 404, "message_not_found", None
    if flag_arg(body, "replace_original") and channel and original and not target["ephemeral"]:
        message = state.find(channel, original)
        if message is None:
            return 404, "message_not_found", None
        message.text = text
        message.blocks = blocks
        state.mark_edited(message)
        return 200, "ok", None
    if body.get("response_type") == "in_channel" and channel:
        thread_ts = str(body.get("thread_ts") or "") or None
        try:
            state.add_message(channel, text=text, blocks=blocks, thread_ts=thread_ts)
        except ApiError as exc:
            return 404, exc.code, None
        return 200, "ok", None
    ephemeral = Ephemeral(
        channel=channel,
        user=user,
        text=text,
        blocks=blocks,
        ts=state.next_ts(),
        thread_ts=str(body.get("thread_ts") or "") or None,
        source="response_url",
    )
    state.ephemerals.append(ephemeral)
    return 200, "ok", ephemeral
