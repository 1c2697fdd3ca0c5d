"""Conversations the stand-in knows more about than their ID: private, archived, DMs, members.

A channel that is not registered here behaves as it always has (any ID, or the stand-in's
`channels` list). A registered one is answered as Slack answers a bot that has `chat:write` and
`chat:write.public` (the app's manifest):

    private channel or DM, bot not a member   every method: channel_not_found (Slack hides it)
    public channel, bot not a member          chat.postMessage / chat.update work (write.public);
                                              chat.postEphemeral and history reads: not_in_channel
    archived                                  every write: is_archived; reads still work

A post to a user ID opens the app's DM with that user, unless the app's Messages tab is off
(`messages_tab_disabled`) or the user is a bot (`cannot_dm_bot`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

WRITE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral"})
# What a bot that is not a member may not do even in a public channel.
_MEMBERS_ONLY = frozenset({"chat.postEphemeral", "conversations.history", "conversations.replies"})


class ConversationKind(StrEnum):
    """What sort of conversation a channel ID names."""

    PUBLIC = "public"
    PRIVATE = "private"
    IM = "im"  # a direct message between people (the bot is never in it unless it is a party)


@dataclass
class Conversation:
    """One registered conversation and the bot's place in it."""

    id: str
    kind: ConversationKind = ConversationKind.PUBLIC
    bot_member: bool = True
    archived: bool = False
    name: str = ""

    def refusal(self, method: str) -> str | None:
        """The error Slack answers `method` on this conversation with, or None when it works."""
        if not self.bot_member and self.kind is not ConversationKind.PUBLIC:
            return "channel_not_found"
        if self.archived and method in WRITE_METHODS:
            return "is_archived"
        if not self.bot_member and method in _MEMBERS_ONLY:
            return "not_in_channel"
        return None

    def as_api(self, *, created: int) -> dict[str, Any]:
        """The channel object `conversations.info` answers with (the fields bots read)."""
        im = self.kind is ConversationKind.IM
        return {
            "id": self.id,
            "name": self.name or self.id.lower(),
            "created": created,
            "is_channel": self.kind is ConversationKind.PUBLIC,
            "is_group": self.kind is ConversationKind.PRIVATE,
            "is_im": im,
            "is_private": self.kind is not ConversationKind.PUBLIC,
            "is_archived": self.archived,
            "is_member": self.bot_member,
        }


def dm_refusal(user: str, *, bot_users: frozenset[str], messages_tab: bool) -> str | None:
    """Why a post to a user ID (the app's DM with that user) is refused, or None."""
    if user in bot_users:
        return "cannot_dm_bot"
    if not messages_tab:
        return "messages_tab_disabled"
    return None
