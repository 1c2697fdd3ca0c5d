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

An attach request (0.2) moves the same way through attaching to attached.
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
    ATTACHING = "attaching"  # since 0.2: an attach request's calls are in flight
    ATTACHED = "attached"
    STUCK = "stuck"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.APPROVED, Status.REJECTED, Status.EXPIRED, Status.CANCELLED}),
    Status.APPROVED: frozenset({Status.EXECUTING, Status.CANCELLED}),
    # Stuck or done straight from executing: a request of several ENIs whose retried ENI
    # failed while others are stuck, or whose every ENI was found done already. (An attach
    # request makes the same moves through attaching to attached.)
    Status.EXECUTING: frozenset(
        {
            Status.DETACHING,
            Status.DETACHED,
            Status.ATTACHING,
            Status.ATTACHED,
            Status.STUCK,
            Status.FAILED,
        }
    ),
    Status.DETACHING: frozenset({Status.DETACHED, Status.STUCK, Status.FAILED}),
    Status.ATTACHING: frozenset({Status.ATTACHED, Status.STUCK, Status.FAILED}),
    # A stuck ENI can still finish on its own, be re-initiated (back through the executor),
    # or disappear.
    Status.STUCK: frozenset({Status.EXECUTING, Status.DETACHED, Status.ATTACHED, Status.FAILED}),
    Status.DETACHED: frozenset(),
    Status.ATTACHED: frozenset(),
    Status.FAILED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.CANCELLED: frozenset(),
}

TERMINAL: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
OPEN: frozenset[Status] = frozenset(Status) - TERMINAL
# Work the background workers own: the executor takes approved/executing, the poller the rest.
IN_FLIGHT: frozenset[Status] = frozenset(
    {Status.EXECUTING, Status.DETACHING, Status.ATTACHING, Status.STUCK}
)


def can_move(current: Status, target: Status) -> bool:
    """True when `current -> target` is an allowed move."""
    return target in TRANSITIONS[current]


class IllegalTransitionError(ValueError):
    """A move that the table does not allow was asked for (a bug, not a race)."""

    def __init__(self, current: StrEnum, target: StrEnum) -> None:
        super().__init__(f"illegal transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


class TargetStatus(StrEnum):
    """Where one ENI of a request is; values are what the database stores.

     queued ─► sending ─► in_flight ─► done
       │          │            │  ▲
       ▼          ▼            ▼  │
    skipped     failed ◄──── stuck ─► sending (retry)
    """

    QUEUED = "queued"  # waiting for approval, or for a place among the request's in-flight ENIs
    SENDING = "sending"  # the executor holds it: re-check, then the one call to ECS
    IN_FLIGHT = "in_flight"  # ECS accepted the call (or a Describe showed it took effect)
    DONE = "done"  # the ENI reached the wanted state
    STUCK = "stuck"
    FAILED = "failed"
    SKIPPED = "skipped"  # never sent: the request ended first, or its failure budget was spent


TARGET_TRANSITIONS: dict[TargetStatus, frozenset[TargetStatus]] = {
    TargetStatus.QUEUED: frozenset({TargetStatus.SENDING, TargetStatus.SKIPPED}),
    TargetStatus.SENDING: frozenset({TargetStatus.IN_FLIGHT, TargetStatus.FAILED}),
    TargetStatus.IN_FLIGHT: frozenset({TargetStatus.DONE, TargetStatus.STUCK, TargetStatus.FAILED}),
    TargetStatus.STUCK: frozenset({TargetStatus.SENDING, TargetStatus.DONE, TargetStatus.FAILED}),
    TargetStatus.DONE: frozenset(),
    TargetStatus.FAILED: frozenset(),
    TargetStatus.SKIPPED: frozenset(),
}

TARGET_TERMINAL: frozenset[TargetStatus] = frozenset(
    s for s, nxt in TARGET_TRANSITIONS.items() if not nxt
)
# A target in one of these holds its ENI: at most one per ENI, by a unique partial index.
TARGET_OPEN: frozenset[TargetStatus] = frozenset(TargetStatus) - TARGET_TERMINAL
# Still on its way: the request is not finished while any target is here.
TARGET_ACTIVE: frozenset[TargetStatus] = frozenset(
    {TargetStatus.QUEUED, TargetStatus.SENDING, TargetStatus.IN_FLIGHT}
)


# A target between its call and its outcome holds one of its request's places
# (ENIBOT_BULK_CONCURRENCY): sending (the call may be on the wire) or in flight.
IN_TRANSITION: frozenset[TargetStatus] = frozenset({TargetStatus.SENDING, TargetStatus.IN_FLIGHT})


def can_move_target(current: TargetStatus, target: TargetStatus) -> bool:
    """True when `current -> target` is an allowed move of one target."""
    return target in TARGET_TRANSITIONS[current]


# Where an approved request is, given its targets: it follows them, never the other way round.
EXECUTION: frozenset[Status] = frozenset(
    {Status.APPROVED, Status.EXECUTING, Status.DETACHING, Status.ATTACHING, Status.STUCK}
)
# Per operation: the request's status while its calls are in flight, and once every ENI is done.
ON_THE_WAY: dict[str, Status] = {"detach": Status.DETACHING, "attach": Status.ATTACHING}
DONE: dict[str, Status] = {"detach": Status.DETACHED, "attach": Status.ATTACHED}


def roll_up(current: Status, targets: list[TargetStatus], operation: str = "detach") -> Status:
    """The status an executing request has, given its current status and its targets'.

    Finished when no target is on its way or stuck: detached if every ENI is, else failed.
    Stuck when only stuck targets are left. Otherwise detaching once any call is in flight,
    and it stays detaching until the end (no flapping back to executing between batches);
    before that, or after a retry put stuck targets back on their way, executing.
    """
    if current not in EXECUTION:
        return current
    statuses = set(targets)
    if current is Status.APPROVED:
        return Status.APPROVED if statuses <= {TargetStatus.QUEUED} else Status.EXECUTING
    if not statuses & (TARGET_ACTIVE | {TargetStatus.STUCK}):
        return DONE[operation] if statuses == {TargetStatus.DONE} else Status.FAILED
    if not statuses & TARGET_ACTIVE:
        return Status.STUCK
    if current is Status.STUCK:
        return Status.EXECUTING
    if TargetStatus.IN_FLIGHT in statuses or current is ON_THE_WAY[operation]:
        return ON_THE_WAY[operation]
    return Status.EXECUTING
