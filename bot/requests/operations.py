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

    @property
    def unknown_code(self) -> str:
        """The code recorded when the call's answer never came."""
        return outcome_unknown_code(self.action)

    def took_effect(self, eni: NetworkInterface | None, target: RequestTarget) -> bool:
        """After an unknown outcome or a refusal: does the ENI show this call was applied?"""
        if eni is None:
            return False
        if self.name == "attach":
            return eni.instance_id == target.instance_id and eni.status in (
                EniStatus.ATTACHING,
                EniStatus.IN_USE,
            )
        return (
            eni.status in (EniStatus.DETACHING, EniStatus.AVAILABLE)
            or eni.instance_id != target.instance_id
        )

    def arrived(self, seen: EniObservation, target: RequestTarget) -> bool:
        """The poller: the ENI is where the request wanted it."""
        if self.name == "attach":
            return seen.status == EniStatus.IN_USE.value and seen.instance_id == target.instance_id
        return seen.status == EniStatus.AVAILABLE.value or seen.instance_id != target.instance_id

    def fell_back(self, seen: EniObservation, target: RequestTarget, since_sent: float) -> bool:
        """The poller: an attach that ended Available (or on another instance) has failed."""
        if self.name != "attach":
            return False
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
)
ATTACHING = Operation(
    name="attach",
    action=ATTACH,
    on_the_way=EniStatus.ATTACHING,
    decide=rules.decide_attach,
    call=lambda ecs, t: ecs.attach_network_interface(t.region, t.eni_id, t.instance_id),
)
OPERATIONS: dict[str, Operation] = {op.name: op for op in (DETACHING, ATTACHING)}
