"""The simulated workspace's contents: channels, messages, views, user groups, issued URLs.

The Web API methods that read and change it live beside it, one module per family (`chat`,
`views`, `reads`; the table of names is `methods`). Not thread-safe by itself: the stand-in
calls everything here with its lock held.

`ApiError`, `Params` and `FORM_ONLY_METHODS` are re-exported from `arguments` for importers of
the old home.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.sim.slack.arguments import FORM_ONLY_METHODS, ApiError, Params, decode_json_params
from bot.sim.slack.conversations import Conversation, dm_refusal
from bot.sim.slack.records import Ephemeral, Message, View
from bot.sim.slack.workspace import Workspace

__all__ = [
    "FORM_ONLY_METHODS",
    "ApiError",
    "Params",
    "SlackState",
    "decode_json_params",
]


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
        self.wall_clock = wall_clock
        self._last_micros = 0
        self.counter = 0

    # -- identifiers ---------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message timestamp like Slack's: wall-clock seconds, six digits, strictly increasing."""
        micros = max(int(self.wall_clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A Slack-looking ID (`V…`, `Ev…`) unique within this workspace."""
        self.counter += 1
        return f"{prefix}0SIM{self.counter:06d}"

    def issue_trigger(self) -> str:
        """A trigger_id like Slack's, valid for one `views.open`/`views.push` within 3 s."""
        self.counter += 1
        trigger = f"{self.counter}.{int(self.wall_clock())}.{self.counter * 7919:032x}"
        self.triggers[trigger] = self.wall_clock()
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
        self.counter += 1
        token = f"T{self.counter:06d}{self.counter * 104729:012x}"
        self.response_targets[token] = {
            "channel": channel,
            "user": user,
            "message_ts": message_ts,
            "ephemeral": ephemeral,
            "uses": 0,
        }
        return token

    # -- channels and messages -----------------------------------------------------------------

    def check_channel(self, channel: str, method: str) -> None:
        """Refuse `method` on `channel` as Slack would (unknown, hidden, archived, DM rules)."""
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

    def mark_edited(self, message: Message) -> None:
        """Count one more edit of `message`, at a fresh timestamp."""
        message.edits += 1
        message.edited_ts = self.next_ts()

    # -- API shapes ----------------------------------------------------------------------------

    def api_message(self, message: Message, *, with_metadata: bool = True) -> dict[str, Any]:
        """A message as the Web API returns it."""
        return message.as_api(with_metadata=with_metadata, team_id=self.workspace.team_id)

    def api_view(self, view: View) -> dict[str, Any]:
        """A view as the Web API returns it."""
        ws = self.workspace
        return view.as_api(team_id=ws.team_id, app_id=ws.app_id, bot_id=ws.bot_id)
