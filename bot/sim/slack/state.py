"""The simulated workspace's contents and the Web API methods that read and change them.

Not thread-safe by itself: the stand-in calls every method here with its lock held.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.sim.slack.blockcheck import MAX_BLOCKS_VIEW, block_problems
from bot.sim.slack.conversations import Conversation, dm_refusal
from bot.sim.slack.records import Ephemeral, Message, View
from bot.sim.slack.workspace import Workspace

MAX_TEXT = 40_000
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_USES = 5
# Parameters Slack accepts as JSON text inside a form-encoded body.
JSON_PARAMS = ("blocks", "attachments", "metadata", "view")
# Read methods: Slack takes their arguments as query or form parameters only and ignores a JSON
# body (slack_sdk sends them form-encoded), so a JSON-bodied call is answered as one without any.
FORM_ONLY_METHODS = frozenset(
    {
        "conversations.history",
        "conversations.replies",
        "conversations.info",
        "users.info",
        "usergroups.users.list",
    }
)

Params = dict[str, Any]


class ApiError(Exception):
    """A Web API refusal: HTTP 200 with {"ok": false, "error": code, ...extra}."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack answers with."""
        return {"ok": False, "error": self.code, **self.extra}


def decode_json_params(params: Params) -> Params:
    """Decode the parameters Slack takes as JSON strings, as Slack does for form bodies."""
    out = dict(params)
    for key in JSON_PARAMS:
        value = out.get(key)
        if isinstance(value, str):
            try:
                out[key] = json.loads(value) if value else None
            except ValueError:
                out[key] = _Undecodable(value)
    return out


@dataclass(frozen=True)
class _Undecodable:
    """A JSON parameter that was not JSON; kept so the method can name the right error."""

    raw: str


def _str(params: Params, key: str) -> str:
    value = params.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _flag(params: Params, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _int(params: Params, key: str, default: int) -> int:
    try:
        return int(params.get(key) or default)
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None


def _blocks(params: Params, *, limit: int = 50, required: bool = False) -> list[dict[str, Any]]:
    value = params.get("blocks")
    if value is None or value == "":
        if required:
            raise ApiError("invalid_blocks", errors=["blocks are required"])
        return []
    if isinstance(value, _Undecodable):
        raise ApiError("invalid_blocks_format")
    problems = block_problems(value, limit=limit)
    if problems:
        raise ApiError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    return list(value)


def _metadata(params: Params) -> dict[str, Any] | None:
    value = params.get("metadata")
    if value is None or value == "":
        return None
    if isinstance(value, _Undecodable) or not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    event_type = value.get("event_type")
    payload = value.get("event_payload", {})
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


class SlackState:
    """Channels, messages, ephemerals, views, user groups and issued URLs of one workspace."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        channels: Iterable[str] | None,
        usergroups: Mapping[str, Sequence[str]] | None,
        strict_triggers: bool,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.workspace = workspace
        self.channels: set[str] | None = set(channels) if channels is not None else None
        self.usergroups: dict[str, list[str]] = {k: list(v) for k, v in (usergroups or {}).items()}
        self.usergroups_error: str | None = None
        self.strict_triggers = strict_triggers
        self.messages: dict[str, dict[str, Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, float] = {}
        self.response_targets: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, Conversation] = {}
        self.messages_tab = True  # the app's Messages tab: where posts to a user ID land
        self._wall_clock = wall_clock
        self._last_micros = 0
        self._counter = 0

    # -- identifiers ---------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message timestamp like Slack's: wall-clock seconds, six digits, strictly increasing."""
        micros = max(int(self._wall_clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A Slack-looking ID (`V…`, `Ev…`) unique within this workspace."""
        self._counter += 1
        return f"{prefix}0SIM{self._counter:06d}"

    def issue_trigger(self) -> str:
        """A trigger_id like Slack's, valid for one `views.open`/`views.push` within 3 s."""
        self._counter += 1
        trigger = f"{self._counter}.{int(self._wall_clock())}.{self._counter * 7919:032x}"
        self.triggers[trigger] = self._wall_clock()
        return trigger

    def issue_response_token(
        self,
        *,
        channel: str | None,
        user: str | None,
        message_ts: str | None,
        ephemeral: bool = False,
    ) -> str:
        """A token for a `response_url`, remembering what the URL's posts act on."""
        self._counter += 1
        token = f"T{self._counter:06d}{self._counter * 104729:012x}"
        self.response_targets[token] = {
            "channel": channel,
            "user": user,
            "message_ts": message_ts,
            "ephemeral": ephemeral,
            "uses": 0,
        }
        return token

    # -- helpers -------------------------------------------------------------------------------

    def _check_channel(self, channel: str, method: str) -> None:
        if not channel:
            raise ApiError("channel_not_found")
        conversation = self.conversations.get(channel)
        if conversation is not None:
            refusal = conversation.refusal(method)
            if refusal is not None:
                raise ApiError(refusal)
            return
        if channel[0] in "UW" and method == "chat.postMessage":
            # Posting to a user ID opens the app's DM with that user, as Slack does.
            bots = frozenset({self.workspace.bot_user_id})
            refusal = dm_refusal(channel, bot_users=bots, messages_tab=self.messages_tab)
            if refusal is not None:
                raise ApiError(refusal)
        if self.channels is not None and channel not in self.channels and channel[0] not in "UWD":
            raise ApiError("channel_not_found")

    def find(self, channel: str, ts: str) -> Message | None:
        """The message at (channel, ts), top level or reply."""
        return self.messages.get(channel, {}).get(ts)

    def add_message(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
        reply_broadcast: bool = False,
    ) -> Message:
        """Store a new bot message (and keep its thread parent's reply counters right)."""
        parent: Message | None = None
        if thread_ts:
            parent = self.find(channel, thread_ts)
            if parent is None:
                raise ApiError("thread_not_found")
            if parent.is_reply:
                parent = self.find(channel, parent.thread_ts or "")
                assert parent is not None
        ws = self.workspace
        message = Message(
            channel=channel,
            ts=self.next_ts(),
            text=text,
            blocks=blocks,
            thread_ts=parent.ts if parent else None,
            metadata=metadata,
            user=ws.bot_user_id,
            bot_id=ws.bot_id,
            app_id=ws.app_id,
            reply_broadcast=reply_broadcast,
        )
        if parent is not None:
            parent.thread_ts = parent.ts
            parent.reply_count += 1
            parent.latest_reply = message.ts
            if message.user not in parent.reply_users:
                parent.reply_users.append(message.user)
        self.messages.setdefault(channel, {})[message.ts] = message
        return message

    def _api_message(self, message: Message, *, with_metadata: bool = True) -> dict[str, Any]:
        return message.as_api(with_metadata=with_metadata, team_id=self.workspace.team_id)

    def _api_view(self, view: View) -> dict[str, Any]:
        ws = self.workspace
        return view.as_api(team_id=ws.team_id, app_id=ws.app_id, bot_id=ws.bot_id)

    def _use_trigger(self, params: Params) -> str:
        trigger = _str(params, "trigger_id")
        if not trigger:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["trigger_id"]})
        if self.strict_triggers:
            issued = self.triggers.pop(trigger, None)
            if issued is None:
                raise ApiError("invalid_trigger_id")
            if self._wall_clock() - issued > TRIGGER_LIFETIME:
                raise ApiError("expired_trigger_id")
        return trigger

    def _view_definition(self, params: Params, *, kind: str | None) -> dict[str, Any]:
        view = params.get("view")
        if isinstance(view, _Undecodable) or not isinstance(view, dict):
            raise ApiError("invalid_arguments", response_metadata={"messages": ["view"]})
        if kind is not None and view.get("type") != kind:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["view.type"]})
        problems = block_problems(view.get("blocks", []), limit=MAX_BLOCKS_VIEW)
        if problems:
            raise ApiError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        return view

    def _new_view(
        self, definition: dict[str, Any], *, user: str | None, trigger: str | None
    ) -> View:
        view_id = self.next_id("V")
        view = View(
            id=view_id,
            type=str(definition.get("type")),
            definition=definition,
            user_id=user,
            hash=f"{int(self._wall_clock())}.{self._counter:08x}",
            trigger_id=trigger,
            external_id=definition.get("external_id"),
        )
        self.views[view_id] = view
        return view

    # -- methods -------------------------------------------------------------------------------

    def auth_test(self, params: Params) -> dict[str, Any]:
        """`auth.test`: who the token belongs to (the token was checked before)."""
        ws = self.workspace
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

    def chat_post_message(self, params: Params) -> dict[str, Any]:
        """`chat.postMessage`: a new message or thread reply, with blocks and metadata."""
        channel = _str(params, "channel")
        self._check_channel(channel, "chat.postMessage")
        text = _str(params, "text")
        blocks = _blocks(params)
        if not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        message = self.add_message(
            channel,
            text=text,
            blocks=blocks,
            thread_ts=_str(params, "thread_ts") or None,
            metadata=_metadata(params),
            reply_broadcast=_flag(params, "reply_broadcast"),
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": self._api_message(message),
        }

    def chat_update(self, params: Params) -> dict[str, Any]:
        """`chat.update`: replace text and blocks of an existing message (blocks kept if absent)."""
        channel = _str(params, "channel")
        self._check_channel(channel, "chat.update")
        message = self.find(channel, _str(params, "ts"))
        if message is None:
            raise ApiError("message_not_found")
        text = _str(params, "text")
        has_blocks = params.get("blocks") not in (None, "")
        blocks = _blocks(params)
        if not text and not blocks and not has_blocks:
            raise ApiError("no_text")
        if len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        metadata = _metadata(params)
        message.text = text
        if has_blocks:
            message.blocks = blocks
        if metadata is not None:
            message.metadata = metadata
        message.edits += 1
        message.edited_ts = self.next_ts()
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._api_message(message),
        }

    def chat_delete(self, params: Params) -> dict[str, Any]:
        """`chat.delete`: remove a message (its replies stay, as in Slack)."""
        channel = _str(params, "channel")
        self._check_channel(channel, "chat.delete")
        ts = _str(params, "ts")
        if self.messages.get(channel, {}).pop(ts, None) is None:
            raise ApiError("message_not_found")
        return {"ok": True, "channel": channel, "ts": ts}

    def chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        """`chat.postEphemeral`: a message only one user in the channel sees."""
        channel = _str(params, "channel")
        self._check_channel(channel, "chat.postEphemeral")
        user = _str(params, "user")
        if not user:
            raise ApiError("user_not_found")
        text = _str(params, "text")
        blocks = _blocks(params)
        if not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        ts = self.next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                text=text,
                blocks=blocks,
                ts=ts,
                thread_ts=_str(params, "thread_ts") or None,
            )
        )
        return {"ok": True, "message_ts": ts}

    def views_open(self, params: Params) -> dict[str, Any]:
        """`views.open`: open a modal for the user who produced the trigger."""
        trigger = self._use_trigger(params)
        definition = self._view_definition(params, kind="modal")
        view = self._new_view(definition, user=None, trigger=trigger)
        return {"ok": True, "view": self._api_view(view)}

    def views_push(self, params: Params) -> dict[str, Any]:
        """`views.push`: a modal stacked on the open one."""
        trigger = self._use_trigger(params)
        definition = self._view_definition(params, kind="modal")
        view = self._new_view(definition, user=None, trigger=trigger)
        return {"ok": True, "view": self._api_view(view)}

    def views_update(self, params: Params) -> dict[str, Any]:
        """`views.update`: replace a view found by `view_id` or `external_id`, guarded by `hash`."""
        view_id = _str(params, "view_id")
        external_id = _str(params, "external_id")
        view: View | None = None
        if view_id:
            view = self.views.get(view_id)
        elif external_id:
            view = next((v for v in self.views.values() if v.external_id == external_id), None)
        if view is None:
            raise ApiError("not_found")
        expected = _str(params, "hash")
        if expected and expected != view.hash:
            raise ApiError("hash_conflict")
        view.definition = self._view_definition(params, kind=None)
        view.updates += 1
        view.hash = f"{int(self._wall_clock())}.{self._counter + view.updates:08x}"
        return {"ok": True, "view": self._api_view(view)}

    def views_publish(self, params: Params) -> dict[str, Any]:
        """`views.publish`: set a user's App Home view (one per user, replaced each time)."""
        user = _str(params, "user_id")
        if not user:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["user_id"]})
        definition = self._view_definition(params, kind="home")
        previous = self.views.get(self.home_views.get(user, ""))
        expected = _str(params, "hash")
        if previous is not None and expected and expected != previous.hash:
            raise ApiError("hash_conflict")
        if previous is not None:
            previous.definition = definition
            previous.updates += 1
            previous.hash = f"{int(self._wall_clock())}.{self._counter + previous.updates:08x}"
            view = previous
        else:
            view = self._new_view(definition, user=user, trigger=None)
            self.home_views[user] = view.id
        return {"ok": True, "view": self._api_view(view)}

    def usergroups_users_list(self, params: Params) -> dict[str, Any]:
        """`usergroups.users.list`: members of a group, or the configured plan/scope refusal."""
        if self.usergroups_error == "missing_scope":
            raise ApiError(
                "missing_scope", needed="usergroups:read", provided="chat:write,commands"
            )
        if self.usergroups_error:
            raise ApiError(self.usergroups_error)
        group = _str(params, "usergroup")
        if not group:
            raise ApiError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: usergroup"]},
            )
        if group not in self.usergroups:
            raise ApiError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def users_info(self, params: Params) -> dict[str, Any]:
        """`users.info`: a minimal profile; any U…/W… ID is a user, as the console needs."""
        user = _str(params, "user")
        if not user or user[0] not in "UW":
            raise ApiError("user_not_found")
        name = self.workspace.user_name(user)
        ws = self.workspace
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

    def _channel_messages(self, params: Params, method: str) -> tuple[str, dict[str, Message]]:
        channel = _str(params, "channel")
        self._check_channel(channel, method)
        return channel, self.messages.get(channel, {})

    def conversations_info(self, params: Params) -> dict[str, Any]:
        """`conversations.info`: what the channel is and whether the bot is in it."""
        channel = _str(params, "channel")
        self._check_channel(channel, "conversations.info")
        known = self.conversations.get(channel) or Conversation(
            channel, name=self.workspace.channel_name(channel)
        )
        return {"ok": True, "channel": known.as_api(created=int(self._wall_clock()))}

    @staticmethod
    def _in_window(ts: str, params: Params) -> bool:
        inclusive = _flag(params, "inclusive")
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

    def conversations_history(self, params: Params) -> dict[str, Any]:
        """`conversations.history`: top-level messages, newest first, metadata on request."""
        _, stored = self._channel_messages(params, "conversations.history")
        with_metadata = _flag(params, "include_all_metadata")
        limit = max(1, min(_int(params, "limit", 100), 999))
        cursor = _str(params, "cursor")
        picked = [
            m
            for m in reversed(stored.values())
            if (not m.is_reply or m.reply_broadcast)
            and self._in_window(m.ts, params)
            and (not cursor or float(m.ts) < float(cursor))
        ]
        page = picked[:limit]
        has_more = len(picked) > limit
        return {
            "ok": True,
            "messages": [self._api_message(m, with_metadata=with_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": page[-1].ts if has_more else ""},
        }

    def conversations_replies(self, params: Params) -> dict[str, Any]:
        """`conversations.replies`: the thread's parent then its replies, oldest first."""
        channel, stored = self._channel_messages(params, "conversations.replies")
        start = self.find(channel, _str(params, "ts"))
        if start is None:
            raise ApiError("thread_not_found")
        parent = start
        if start.is_reply and start.thread_ts:
            parent = self.find(channel, start.thread_ts) or start
        with_metadata = _flag(params, "include_all_metadata")
        limit = max(1, min(_int(params, "limit", 1000), 1000))
        cursor = _str(params, "cursor")
        replies = [
            m
            for m in stored.values()
            if m.is_reply
            and m.thread_ts == parent.ts
            and self._in_window(m.ts, params)
            and (not cursor or float(m.ts) > float(cursor))
        ]
        page = ([] if cursor else [parent]) + replies
        has_more = len(page) > limit
        page = page[:limit]
        return {
            "ok": True,
            "messages": [self._api_message(m, with_metadata=with_metadata) for m in page],
            "has_more": has_more,
            "response_metadata": {"next_cursor": page[-1].ts if has_more else ""},
        }

    def api_test(self, params: Params) -> dict[str, Any]:
        """`api.test`: echo the arguments, as Slack does."""
        args = {k: v for k, v in params.items() if k != "token"}
        return {"ok": True, "args": args} if args else {"ok": True}

    def handler(self, method: str) -> Callable[[Params], dict[str, Any]] | None:
        """The implementation of a Web API method, or None for methods Slack would not know."""
        return {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "usergroups.users.list": self.usergroups_users_list,
            "users.info": self.users_info,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.info": self.conversations_info,
        }.get(method)

    # -- view_submission answers -------------------------------------------------------------

    def apply_view_answer(self, view_id: str, answer: Mapping[str, Any]) -> View | None:
        """Do what Slack's client does with an app's answer to a view_submission.

        Empty answer: the modal closes. `errors`: shown per block. `update`: replaced in place.
        `push`: a new modal on top. `clear`: the whole stack closes. Returns the view now shown.
        """
        view = self.views.get(view_id)
        if view is None:
            return None
        action = answer.get("response_action")
        if action == "errors":
            errors = answer.get("errors")
            view.errors = (
                {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
            )
            return view
        if action == "update" and isinstance(answer.get("view"), dict):
            view.definition = dict(answer["view"])
            view.errors = {}
            view.updates += 1
            return view
        if action == "push" and isinstance(answer.get("view"), dict):
            pushed = self._new_view(dict(answer["view"]), user=view.user_id, trigger=None)
            pushed.previous_view_id = view.id
            pushed.root_view_id = view.root_view_id or view.id
            return pushed
        root = view.root_view_id or view.id
        for candidate in self.views.values():
            if action == "clear" and (candidate.root_view_id or candidate.id) == root:
                candidate.closed = True
        view.closed = True
        view.errors = {}
        return None

    # -- response_url --------------------------------------------------------------------------

    def apply_response(self, token: str, body: dict[str, Any]) -> tuple[int, str, Ephemeral | None]:
        """Act on a `response_url` post: ephemeral, in channel, replace or delete the original."""
        target = self.response_targets.get(token)
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
        if target["ephemeral"] and _flag(body, "delete_original"):
            # Slack removes the ephemeral from that user's view; nothing else to change here.
            return 200, "ok", None
        if _flag(body, "delete_original"):
            if channel and original and self.messages.get(channel, {}).pop(original, None):
                return 200, "ok", None
            return 404, "message_not_found", None
        if _flag(body, "replace_original") and channel and original and not target["ephemeral"]:
            message = self.find(channel, original)
            if message is None:
                return 404, "message_not_found", None
            message.text = text
            message.blocks = blocks
            message.edits += 1
            message.edited_ts = self.next_ts()
            return 200, "ok", None
        if body.get("response_type") == "in_channel" and channel:
            thread_ts = str(body.get("thread_ts") or "") or None
            try:
                self.add_message(channel, text=text, blocks=blocks, thread_ts=thread_ts)
            except ApiError as exc:
                return 404, exc.code, None
            return 200, "ok", None
        ephemeral = Ephemeral(
            channel=channel,
            user=user,
            text=text,
            blocks=blocks,
            ts=self.next_ts(),
            thread_ts=str(body.get("thread_ts") or "") or None,
            source="response_url",
        )
        self.ephemerals.append(ephemeral)
        return 200, "ok", ephemeral
