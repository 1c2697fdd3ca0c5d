"""The shape of a catalogue entry: what a code means, what to do, and how the bot reacts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ADMIN",
    "ATTACH",
    "BUG",
    "DETACH",
    "KEYS",
    "CatalogueEntry",
    "Category",
    "Reaction",
]

# The two state-changing operations whose codes can mean different things (API action names).
DETACH = "DetachNetworkInterface"
ATTACH = "AttachNetworkInterface"


class Reaction(StrEnum):
    """How the bot reacts to a code; values are what logs and the database may store."""

    RETRY_NOW = "retry_now"  # throttling/5xx/no answer: the client already retried with backoff
    RETRY_LATER = "retry_later"  # busy, or credentials mid-rotation: wait (bounded), send again
    ALREADY_DONE = "already_done"  # gone: done, but only after a Describe confirms it
    CHECK_FIRST = "check_first"  # outcome unknown: Describe before anything is re-sent
    FAIL = "fail"  # a person must act; retrying cannot help


class Category(StrEnum):
    """Broad family of a code, for metrics and for grouping in messages."""

    PARAMETER = "parameter"
    STATE = "state"
    NOT_FOUND = "not_found"
    PERMISSION = "permission"
    QUOTA = "quota"
    REGION = "region"
    THROTTLING = "throttling"
    SERVER = "server"
    SIGNATURE = "signature"
    CREDENTIAL = "credential"
    CONFLICT = "conflict"
    TRANSPORT = "transport"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CatalogueEntry:
    """What one ECS error code means for the person who asked and what happens next.

    `action` is None for an entry that holds for every operation, or the API action (DETACH,
    ATTACH) whose own meaning this is when the code means something else there.
    """

    code: str
    http_status: int
    category: Category
    meaning: str
    remedy: str
    reaction: Reaction
    action: str | None = None

    @property
    def retryable(self) -> bool:
        """True when sending the same call again later can succeed without a person acting."""
        return self.reaction in (Reaction.RETRY_NOW, Reaction.RETRY_LATER)


BUG = "This is a bug in the bot, not something you did: report it to the bot's maintainers."
ADMIN = "Ask your Alibaba Cloud administrator to grant the bot's account this permission."
KEYS = "Ask the bot's operators to check the Alibaba Cloud access key the bot uses."
