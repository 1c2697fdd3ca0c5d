"""What differs between a detach and an attach, in one place: the call, the decision, and what a
Describe must show for the call to have taken effect, to be done, or to have failed.

The executor and the poller take an `Operation` by name (`OPERATIONS[target.operation]`) and
otherwise work the same for both: intent before the call, an unknown outcome settled by a
Describe, leases on every write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.ecs.errors import outcome_unknown_code
from bot.ecs.models import EniStatus, NetworkInterface
from bot.requests import rules
from bot.requests.models import RequestTarget
from bot.requests.ports import ATTACH, DETACH, Ecs
from bot.requests.schemas import EniObservation

__all__ = ["ATTACHING", "DETACHING", "OPERATIONS", "Operation"]

# An attach seen Available this long after it was accepted has fallen back (ECS did not attach
# it); sooner, it may just not show Attaching yet.
FELL_BACK_AFTER = 10.0


@dataclass(frozen=True)
class Operation:
    """One kind of request's call and how to read a Describe for it."""

    name: str  # "detach" | "attach"
    action: str  # the ECS action, as the audit trail names it
    on_the_way: EniStatus  # the ENI's state once the call took effect
    decide: Callable[..., rules.Action]
    call: Callable[[Ecs, RequestTarget], str]
    # After an unknown outcome or a refusal: does the ENI show this call was applied?
    took_effect: Callable[[NetworkInterface, RequestTarget], bool]
    # The poller: the ENI is where the request wanted it.
    arrived: Callable[[EniObservation, RequestTarget], bool]
    # The poller: the call has visibly failed (seen, target, seconds since it was accepted).
    fell_back: Callable[[EniObservation, RequestTarget, float], bool] = lambda *_: False
    # A change of the ENI's state short of arriving is recorded one by one (fell_back reads it).
    watches_progress: bool = False

    @property
    def unknown_code(self) -> str:
        """The code recorded when the call's answer never came."""
        return outcome_unknown_code(self.action)


def _detach_took_effect(eni: NetworkInterface, target: RequestTarget) -> bool:
    return (
        eni.status in (EniStatus.DETACHING, EniStatus.AVAILABLE)
        or eni.instance_id != target.instance_id
    )


def _attach_took_effect(eni: NetworkInterface, target: RequestTarget) -> bool:
    return eni.instance_id == target.instance_id and eni.status in (
        EniStatus.ATTACHING,
        EniStatus.IN_USE,
    )


def _attach_fell_back(seen: EniObservation, target: RequestTarget, since_sent: float) -> bool:
    """An attach that ended Available (or on another instance) has failed."""
    if seen.instance_id not in (None, target.instance_id):
        return True
    was_attaching = target.eni_status == EniStatus.ATTACHING.value
    return seen.status == EniStatus.AVAILABLE.value and (
        was_attaching or since_sent >= FELL_BACK_AFTER
    )


DETACHING = Operation(
    name="detach",
    action=DETACH,
    on_the_way=EniStatus.DETACHING,
    decide=rules.decide,
    call=lambda ecs, t: ecs.detach_network_interface(t.region, t.eni_id, t.instance_id),
    took_effect=_detach_took_effect,
    arrived=lambda seen, t: (
        seen.status == EniStatus.AVAILABLE.value or seen.instance_id != t.instance_id
    ),
)
ATTACHING = Operation(
    name="attach",
    action=ATTACH,
    on_the_way=EniStatus.ATTACHING,
    decide=rules.decide_attach,
    call=lambda ecs, t: ecs.attach_network_interface(t.region, t.eni_id, t.instance_id),
    took_effect=_attach_took_effect,
    arrived=lambda seen, t: (
        seen.status == EniStatus.IN_USE.value and seen.instance_id == t.instance_id
    ),
    fell_back=_attach_fell_back,
    watches_progress=True,
)
OPERATIONS: dict[str, Operation] = {op.name: op for op in (DETACHING, ATTACHING)}
