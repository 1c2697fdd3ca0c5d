"""Injected failures: one-shot faults queued for the next calls of a method.

Plain state guarded by the stand-in's lock; the dispatcher asks it what to do. Slack's own rate
limits are not faults (they follow from the calls made): see `limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """How a call can go wrong, as a client of Slack sees it."""

    # HTTP 429 with Retry-After and {"ok": false, "error": "ratelimited"}; nothing applied.
    RATE_LIMITED = "rate_limited"
    # HTTP 500 (or the status given) with {"ok": false, "error": "fatal_error"}; nothing applied.
    SERVER_ERROR = "server_error"
    # The connection is reset before any answer; nothing applied.
    CONNECTION_RESET = "connection_reset"
    # The method IS applied, then the connection is reset: the client cannot know it happened.
    RESPONSE_LOST = "response_lost"


@dataclass
class Fault:
    """One queued fault: for `method` (None for any method), `remaining` more calls."""

    method: str | None
    remaining: int
    kind: FaultKind
    retry_after: int = 1
    status: int = 500


class FaultPlan:
    """Faults waiting for matching calls, consumed first-in first-out."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind any already waiting."""
        if fault.remaining > 0:
            self._faults.append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault that answers this call, if one is waiting for it."""
        for fault in self._faults:
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Forget every waiting fault."""
        self._faults.clear()

    def pending(self) -> int:
        """How many faulty answers are still queued."""
        return sum(f.remaining for f in self._faults)
