"""What may be detached, and what the executor does given a live Describe: pure functions.

Pre-flight (before anything is stored) and the executor (before each Detach) ask the same
questions of the same facts; both answer here, from plain values, so the rules are tested
exhaustively without a database or ECS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface

__all__ = [
    "DETACHABLE_ENI_STATES",
    "DETACHABLE_INSTANCE_STATES",
    "Action",
    "Marks",
    "Next",
    "Problem",
    "decide",
    "eni_problem",
    "instance_problem",
]

DETACHABLE_ENI_STATES = frozenset({EniStatus.IN_USE, EniStatus.DETACHING})
DETACHABLE_INSTANCE_STATES = frozenset({InstanceStatus.RUNNING, InstanceStatus.STOPPED})


class Problem(StrEnum):
    """Why a request was refused before anything was stored."""

    NOT_A_REQUESTER = "not_a_requester"
    REGION_NOT_ALLOWED = "region_not_allowed"
    OPEN_REQUEST = "open_request"
    ENI_NOT_FOUND = "eni_not_found"
    PRIMARY_ENI = "primary_eni"
    MEMBER_ENI = "member_eni"
    SERVICE_MANAGED = "service_managed"
    NOT_ATTACHED = "not_attached"
    ATTACHED_ELSEWHERE = "attached_elsewhere"
    ENI_STATE = "eni_state"
    INSTANCE_NOT_FOUND = "instance_not_found"
    INSTANCE_STATE = "instance_state"
    ECS_ERROR = "ecs_error"
    # A request's size (ENIBOT_MAX_ENIS_PER_REQUEST): listed or selected, more than the limit.
    TOO_MANY_ENIS = "too_many_enis"
    NOTHING_SELECTED = "nothing_selected"  # a selection found no ENI it could take
    # Attach (0.2): the ENI must be Available, and the instance in its VPC and zone.
    NOT_AVAILABLE = "not_available"
    VPC_MISMATCH = "vpc_mismatch"
    ZONE_MISMATCH = "zone_mismatch"
    NO_INSTANCE_TO_RETURN_TO = "no_instance_to_return_to"


def eni_problem(
    eni: NetworkInterface, wanted_instance: str | None
) -> tuple[Problem, dict[str, Any]] | None:
    """Why this ENI cannot be detached (from `wanted_instance`, when named); None if it can."""
    facts: dict[str, Any] = {"status": eni.status_raw or eni.status.value, "type": eni.type_raw}
    if eni.type is EniType.PRIMARY:
        return Problem.PRIMARY_ENI, {"instance_id": eni.instance_id}
    if eni.type is EniType.MEMBER:
        return Problem.MEMBER_ENI, {"trunk_id": eni.trunk_network_interface_id}
    if eni.service_managed:
        return Problem.SERVICE_MANAGED, {}
    if eni.instance_id is None:
        return Problem.NOT_ATTACHED, facts
    if wanted_instance is not None and eni.instance_id != wanted_instance:
        return Problem.ATTACHED_ELSEWHERE, {**facts, "attached_to": eni.instance_id}
    if eni.status not in DETACHABLE_ENI_STATES:
        return Problem.ENI_STATE, facts
    return None


def instance_problem(
    instance: Instance | None, instance_id: str
) -> tuple[Problem, dict[str, Any]] | None:
    """Why an ENI cannot be detached from this instance now; None if it can."""
    if instance is None:
        return Problem.INSTANCE_NOT_FOUND, {"instance_id": instance_id}
    if instance.status not in DETACHABLE_INSTANCE_STATES:
        return Problem.INSTANCE_STATE, {
            "instance_id": instance_id,
            "instance_status": instance.status_raw or instance.status.value,
        }
    return None


# ---------------------------------------------------------------------------- the executor


class Next(StrEnum):
    """What the executor does after re-checking the live state."""

    SEND = "send"  # send the Detach
    RECONCILE = "reconcile"  # an earlier Detach took effect: detaching, nothing sent
    FAIL = "fail"  # the world changed since approval
    WAIT = "wait"  # a Detach may still be in flight: look again at `until`
    BUSY = "busy"  # the instance is not ready: wait within the busy budget


@dataclass(frozen=True)
class Marks:
    """The request's exactly-once marks and what it was approved for."""

    eni_id: str
    instance_id: str
    region: str
    intent_at: datetime | None  # a Detach committed to, not yet answered definitely
    maybe_applied_at: datetime | None  # a Detach that may have been applied, unsettled
    sent_at: datetime | None  # a Detach ECS accepted
    busy_since: datetime | None = None  # the first of the current run of waits
    last_code: str | None = None  # what the last wait was for (shown if the budget runs out)
    last_message: str | None = None

    @property
    def may_have_detached(self) -> bool:
        """A Detach was accepted, or may have been applied without a definite answer."""
        return any(m is not None for m in (self.sent_at, self.intent_at, self.maybe_applied_at))

    @property
    def unsettled(self) -> bool:
        """A Detach committed to or answered ambiguously, not yet settled by a Describe."""
        return self.intent_at is not None or self.maybe_applied_at is not None


@dataclass(frozen=True)
class Action:
    """The decision, with the code and words for a failure or a wait."""

    next: Next
    code: str | None = None
    message: str | None = None
    until: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def decide(
    marks: Marks,
    eni: NetworkInterface | None,
    instance: Instance | None,
    *,
    now: datetime,
    in_flight_window: float,
    busy_budget: float = float("inf"),
) -> Action:
    """What to do now, given a fresh Describe of the ENI and the instance.

    `busy_budget` (ENIBOT_STUCK_AFTER) bounds the retries of unanswered Detaches: once spent,
    the next one is not sent and the request fails with the last wait's code; never while a
    Detach may still be in flight (that waits first), and never because a long wait for the
    instance is over.
    """
    if eni is None:
        return Action(
            Next.FAIL,
            "EniGone",
            f"ENI {marks.eni_id} no longer exists in {marks.region}; nothing to detach.",
        )
    if eni.instance_id != marks.instance_id or eni.status is EniStatus.AVAILABLE:
        if marks.may_have_detached:
            return Action(Next.RECONCILE)
        where = f"attached to {eni.instance_id}" if eni.instance_id else "not attached"
        return Action(
            Next.FAIL,
            "WorldChanged",
            f"ENI {marks.eni_id} is now {eni.status.value} and {where}, no longer attached to "
            f"{marks.instance_id} as when it was approved.",
        )
    if eni.status is EniStatus.DETACHING and marks.unsettled:
        return Action(Next.RECONCILE)  # the earlier Detach (answer lost) took effect
    if marks.intent_at is not None:
        settles_at = marks.intent_at + timedelta(seconds=in_flight_window)
        if now < settles_at:
            # Committed to but unanswered, and possibly still in flight (its holder slow, or
            # dead with the call on the wire): wait it out, never send a second.
            return Action(Next.WAIT, until=settles_at)
    if eni.status not in DETACHABLE_ENI_STATES:
        return Action(
            Next.FAIL,
            "WorldChanged",
            f"ENI {marks.eni_id} is {eni.status_raw or eni.status.value}; only an InUse or "
            "Detaching ENI can be detached.",
        )
    # InUse, or Detaching on a stuck retry (re-sending is what unsticks it).
    return _send_when_ready(marks, instance, now=now, busy_budget=busy_budget)


# ---------------------------------------------------------------------------- attach (0.2)


def attach_eni_problem(eni: NetworkInterface) -> tuple[Problem, dict[str, Any]] | None:
    """Why this ENI cannot be attached (to any instance); None if it can."""
    facts: dict[str, Any] = {"status": eni.status_raw or eni.status.value, "type": eni.type_raw}
    if eni.type is EniType.PRIMARY:
        return Problem.PRIMARY_ENI, {"instance_id": eni.instance_id}
    if eni.type is EniType.MEMBER:
        return Problem.MEMBER_ENI, {"trunk_id": eni.trunk_network_interface_id}
    if eni.service_managed:
        return Problem.SERVICE_MANAGED, {}
    if eni.status is not EniStatus.AVAILABLE:
        return Problem.NOT_AVAILABLE, {**facts, "attached_to": eni.instance_id}
    return None


def attach_instance_problem(
    eni: NetworkInterface, instance: Instance | None, instance_id: str
) -> tuple[Problem, dict[str, Any]] | None:
    """Why this ENI cannot be attached to this instance now; None if it can."""
    found = instance_problem(instance, instance_id)
    if found is not None or instance is None:
        return found
    if eni.vpc_id and instance.vpc_id and eni.vpc_id != instance.vpc_id:
        return Problem.VPC_MISMATCH, {
            "instance_id": instance_id,
            "eni_vpc": eni.vpc_id,
            "instance_vpc": instance.vpc_id,
        }
    if eni.zone_id and instance.zone_id and eni.zone_id != instance.zone_id:
        return Problem.ZONE_MISMATCH, {
            "instance_id": instance_id,
            "eni_zone": eni.zone_id,
            "instance_zone": instance.zone_id,
        }
    return None


def decide_attach(
    marks: Marks,
    eni: NetworkInterface | None,
    instance: Instance | None,
    *,
    now: datetime,
    in_flight_window: float,
    busy_budget: float = float("inf"),
) -> Action:
    """What to do now for an attach, given a fresh Describe of the ENI and the instance.

    The mirror of `decide`: Attaching, or InUse on the wanted instance, after a call that may
    have been applied means that call did it (reconcile, nothing sent again).
    """
    if eni is None:
        return Action(
            Next.FAIL,
            "EniGone",
            f"ENI {marks.eni_id} no longer exists in {marks.region}; nothing to attach.",
        )
    on_it = eni.instance_id == marks.instance_id
    if on_it and eni.status in (EniStatus.ATTACHING, EniStatus.IN_USE) and marks.may_have_detached:
        return Action(Next.RECONCILE)
    if eni.instance_id is not None:
        where = "it" if on_it else eni.instance_id
        return Action(
            Next.FAIL,
            "WorldChanged",
            f"ENI {marks.eni_id} is now {eni.status.value} on {where}: something else attached "
            "it since the request was approved.",
        )
    if marks.intent_at is not None:
        settles_at = marks.intent_at + timedelta(seconds=in_flight_window)
        if now < settles_at:
            return Action(Next.WAIT, until=settles_at)
    if eni.status is not EniStatus.AVAILABLE:
        return Action(
            Next.FAIL,
            "WorldChanged",
            f"ENI {marks.eni_id} is {eni.status_raw or eni.status.value}; only an Available ENI "
            "can be attached.",
        )
    return _send_when_ready(marks, instance, now=now, busy_budget=busy_budget)


def _send_when_ready(
    marks: Marks, instance: Instance | None, *, now: datetime, busy_budget: float
) -> Action:
    """The last checks before a call, the same for a detach and an attach: the instance is
    there and Running or Stopped, and calls that went unanswered have not used up the budget."""
    if instance is None:
        return Action(
            Next.FAIL,
            "WorldChanged",
            f"Instance {marks.instance_id} no longer exists in {marks.region}.",
        )
    if instance.status not in DETACHABLE_INSTANCE_STATES:
        return Action(
            Next.BUSY,
            "InvalidOperation.InvalidEcsState",
            f"Instance {marks.instance_id} is {instance.status_raw or instance.status.value}; "
            "waiting for it to be Running or Stopped.",
        )
    spent = marks.busy_since is not None and (now - marks.busy_since).total_seconds() >= busy_budget
    if spent and marks.maybe_applied_at is not None:
        # Calls that went unanswered for the whole budget: stop sending more. (A world that is
        # ready after a long wait is still sent its first call.)
        assert marks.busy_since is not None
        return Action(
            Next.FAIL,
            marks.last_code or "Busy",
            marks.last_message or f"ECS stayed busy for {marks.eni_id} past the wait budget.",
            facts={"busy_for_seconds": round((now - marks.busy_since).total_seconds())},
        )
    return Action(Next.SEND)
