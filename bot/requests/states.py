"""The request's states and the only moves between them.

Stdlib only, so the table can be read (and imported) without the database or Slack. Every
status change in the store goes through `can_move`; the CHECK constraint on the column lists
the same values.

    pending ─► approved ─► executing ─► detaching ─► detached
       │           │           │            │  ▲
       │           │           │            ▼  │
       │           │           │          stuck ─► executing (retry)
       ▼           ▼           ▼            ▼
    rejected   cancelled     failed ◄── (detaching | stuck)
    expired
    cancelled
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a detach request is; values are what the database stores."""

    PENDING = "pending"
    APPROVED = "approved"
    EXECUTING = "executing"
    DETACHING = "detaching"
    DETACHED = "detached"
    STUCK = "stuck"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.APPROVED, Status.REJECTED, Status.EXPIRED, Status.CANCELLED}),
    Status.APPROVED: frozenset({Status.EXECUTING, Status.CANCELLED}),
    Status.EXECUTING: frozenset({Status.DETACHING, Status.FAILED}),
    Status.DETACHING: frozenset({Status.DETACHED, Status.STUCK, Status.FAILED}),
    # A stuck ENI can still finish on its own, be re-initiated (back through the executor),
    # or disappear.
    Status.STUCK: frozenset({Status.EXECUTING, Status.DETACHED, Status.FAILED}),
    Status.DETACHED: frozenset(),
    Status.FAILED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.CANCELLED: frozenset(),
}

TERMINAL: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
OPEN: frozenset[Status] = frozenset(Status) - TERMINAL
# Work the background workers own: the executor takes approved/executing, the poller the rest.
IN_FLIGHT: frozenset[Status] = frozenset({Status.EXECUTING, Status.DETACHING, Status.STUCK})


def can_move(current: Status, target: Status) -> bool:
    """True when `current -> target` is an allowed move."""
    return target in TRANSITIONS[current]


class IllegalTransitionError(ValueError):
    """A move that the table does not allow was asked for (a bug, not a race)."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"illegal transition {current.value} -> {target.value}")
        self.current = current
        self.target = target
