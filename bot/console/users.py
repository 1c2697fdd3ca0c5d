"""The sandbox's people: who the console can type as, and the workspace both Slack ends share."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sim.slack.workspace import Workspace

__all__ = ["DEFAULT_USER", "USERS", "ConsoleUser", "approver_ids", "console_workspace", "resolve"]

CHANNEL_ID = "C0ENIOPS"
INCIDENT_CHANNEL_ID = "C0INCIDENTS"


@dataclass(frozen=True)
class ConsoleUser:
    """One person in the sandbox workspace."""

    handle: str
    user_id: str
    role: str  # shown in `help`: what the bot lets this person do


USERS: tuple[ConsoleUser, ...] = (
    ConsoleUser("alice", "U0ALICE", "requester"),
    ConsoleUser("bob", "U0BOB", "requester"),
    ConsoleUser("lead", "U0LEAD", "approver"),
    ConsoleUser("lead2", "U0LEAD2", "approver"),
)
DEFAULT_USER = USERS[0]


def approver_ids() -> list[str]:
    """The IDs that go into ENIBOT_APPROVERS for the sandbox."""
    return [u.user_id for u in USERS if u.role == "approver"]


def console_workspace() -> Workspace:
    """The workspace the stand-in and the sender share, so names in messages match `as @…`."""
    return Workspace(
        users={u.user_id: u.handle for u in USERS},
        channels={CHANNEL_ID: "eni-ops", INCIDENT_CHANNEL_ID: "incidents"},
    )


def resolve(who: str) -> ConsoleUser:
    """A handle (without "@") or a user ID as a person; any well-formed ID may act."""
    for user in USERS:
        if who in (user.handle, user.user_id):
            return user
    if who[:1] in ("U", "W") and who.isupper():
        return ConsoleUser(who.lower(), who, "anyone")
    known = ", ".join(f"@{u.handle}" for u in USERS)
    raise LookupError(f"no user @{who} in the sandbox; known: {known} (or any U… ID)")
