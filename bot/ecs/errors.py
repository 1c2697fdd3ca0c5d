"""The ECS error tree and the code catalogue the domain uses to explain and react to failures.

    EcsError                  ECS answered with an error code (or gave no usable answer)
    ├── EcsTransportError     no answer after the client's retries (timeouts, connections)
    └── OutcomeUnknownError   a state-changing call (Detach, Attach) may or may not have been
                              applied: its answer was lost, unreadable, or a server error.
                              Describe first.

Messages from ECS are kept exactly as sent (placeholders such as `%s` included); they are never
used as format strings. Nothing here ever holds a secret.
"""

from __future__ import annotations

from bot.ecs.catalogue import ATTACH, CATALOGUE, CatalogueEntry, Category, Reaction, lookup

__all__ = [
    "ATTACH_OUTCOME_UNKNOWN",
    "CATALOGUE",
    "OUTCOME_UNKNOWN",
    "CatalogueEntry",
    "Category",
    "EcsError",
    "EcsTransportError",
    "OutcomeUnknownError",
    "Reaction",
    "lookup",
    "outcome_unknown_code",
]


# The code of a state-changing call whose answer never came (or could not be read): a Detach's
# (the 0.1 name, stored in existing rows) and an Attach's.
OUTCOME_UNKNOWN = "Transport.DetachOutcomeUnknown"
ATTACH_OUTCOME_UNKNOWN = "Transport.AttachOutcomeUnknown"


def outcome_unknown_code(action: str) -> str:
    """The code for a lost or unreadable answer to the state-changing call `action`."""
    return ATTACH_OUTCOME_UNKNOWN if action == ATTACH else OUTCOME_UNKNOWN


class EcsError(Exception):
    """ECS refused a call, or the client could not get a usable answer; carries ECS's context."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        request_id: str | None = None,
        http_status: int = 0,
        recommend: str | None = None,
        host_id: str | None = None,
        action: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.recommend = recommend
        self.host_id = host_id
        self.action = action
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" on {self.action}" if self.action else ""
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        text = f"ECS {self.code}{where}{status}"
        if self.message:
            text += f": {self.message}"
        if self.request_id:
            text += f" [RequestId {self.request_id}]"
        return text

    @property
    def entry(self) -> CatalogueEntry:
        """The catalogue entry for this code as its operation means it (a family if unknown)."""
        return lookup(self.code, self.http_status or None, self.action)

    @property
    def reaction(self) -> Reaction:
        """How the bot should react; shortcut for `entry.reaction`."""
        return self.entry.reaction

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, http_status={self.http_status}, "
            f"request_id={self.request_id!r}, action={self.action!r})"
        )


class EcsTransportError(EcsError):
    """No answer from ECS after the client's retries (timeout or connection failure)."""


class OutcomeUnknownError(EcsError):
    """A state-changing call may have been applied (lost answer or server error): Describe first.

    `code` is ECS's own code when ECS answered (`InternalError`, `ServiceUnavailable`, …) and
    `outcome_unknown_code(action)` when no answer came; either way the reaction is CHECK_FIRST.
    """

    @property
    def reaction(self) -> Reaction:
        """Always CHECK_FIRST, whatever the code's usual reaction (a retry would be a re-send)."""
        return Reaction.CHECK_FIRST
