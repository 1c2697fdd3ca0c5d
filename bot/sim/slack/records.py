"""What the stand-in remembers: calls, messages, ephemerals, views and response_url posts.

Records are plain dataclasses handed out as copies, so a test can keep one while the server goes
on changing its own state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESPONSE_URL_METHOD = "response_url"


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP request the stand-in received; the token never appears here."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    time: float
    http_method: str = "POST"
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    # The injected fault that answered this call instead of the method, if any.
    fault: str | None = None
    # The client's address ("127.0.0.1:54321"): the same value means the same connection.
    peer: str = ""

    @property
    def ok(self) -> bool:
        """Whether Slack would have called this a success."""
        return self.status == 200 and bool(self.response.get("ok", False))


@dataclass
class Message:
    """A message in a channel as Slack stores it (top level or a thread reply)."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str = ""
    bot_id: str | None = None
    app_id: str | None = None
    edits: int = 0
    edited_ts: str | None = None
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    reply_broadcast: bool = False

    @property
    def is_reply(self) -> bool:
        """A thread reply, as opposed to a parent or a message without a thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def as_api(self, *, with_metadata: bool, team_id: str) -> dict[str, Any]:
        """The message object the Web API returns for this message."""
        body: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text}
        body["ts"] = self.ts
        body["team"] = team_id
        if self.bot_id:
            body["bot_id"] = self.bot_id
            body["app_id"] = self.app_id
        if self.blocks:
            body["blocks"] = self.blocks
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.reply_count:
            body["reply_count"] = self.reply_count
            body["reply_users"] = list(self.reply_users)
            body["reply_users_count"] = len(self.reply_users)
            body["latest_reply"] = self.latest_reply
        if self.edited_ts is not None:
            body["edited"] = {"user": self.user, "ts": self.edited_ts}
        if with_metadata and self.metadata is not None:
            body["metadata"] = self.metadata
        return body


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user` sees: from `chat.postEphemeral` or a `response_url` post."""

    channel: str | None
    user: str | None
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"


@dataclass(frozen=True)
class ResponsePost:
    """One JSON body POSTed to a `response_url` the stand-in issued."""

    token: str
    body: dict[str, Any]
    time: float

    @property
    def response_type(self) -> str:
        """`ephemeral` unless the body says `in_channel`, as Slack defaults."""
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def text(self) -> str:
        """The fallback text of the post."""
        return str(self.body.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The blocks of the post, empty when it had none."""
        blocks = self.body.get("blocks")
        return list(blocks) if isinstance(blocks, list) else []


@dataclass
class View:
    """A modal or App Home view as Slack holds it."""

    id: str
    type: str
    definition: dict[str, Any]
    user_id: str | None
    hash: str
    trigger_id: str | None = None
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    updates: int = 0
    # Set from the app's answer to a view_submission, as Slack's client would show them.
    closed: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def as_api(self, *, team_id: str, app_id: str, bot_id: str) -> dict[str, Any]:
        """The view object Slack returns from `views.*` and sends in interaction payloads."""
        body: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": self.definition.get("blocks", []),
            "private_metadata": self.definition.get("private_metadata", ""),
            "callback_id": self.definition.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self.hash,
            "title": self.definition.get("title"),
            "clear_on_close": bool(self.definition.get("clear_on_close", False)),
            "notify_on_close": bool(self.definition.get("notify_on_close", False)),
            "close": self.definition.get("close"),
            "submit": self.definition.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": app_id,
            "external_id": self.external_id or "",
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }
        return body
