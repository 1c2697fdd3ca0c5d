"""Value types the use cases take and return, and the names of the bot's own actors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.policy import ClickCheck
from bot.requests.models import DetachRequest

SYSTEM_EXECUTOR = "system:executor"


SYSTEM_POLLER = "system:poller"


SYSTEM_EXPIRY = "system:expiry"


SYSTEM_RELAY = "system:relay"

# How many ENIs the approval message names; a request with more gets its full list as the
# first reply in the card's thread (the Slack layer bounds each line to fit this many).
CARD_LISTS_AT_MOST = 20


@dataclass(frozen=True)
class Policy:
    """The settings the use cases need (from ENIBOT_* variables)."""

    approvals_needed: int = 1
    approval_ttl: float = 1800.0
    stuck_after: float = 300.0
    incident_channel: str | None = None
    max_enis: int = 100  # ENIBOT_MAX_ENIS_PER_REQUEST
    bulk_concurrency: int = 10  # a request's targets between their call and their outcome
    bulk_max_failures: int = 0  # failed targets tolerated before the unsent ones are skipped


@dataclass(frozen=True)
class NewTarget:
    """One pre-flighted ENI of a new request."""

    eni_id: str
    instance_id: str
    eni_snapshot: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeftOut:
    """An ENI a selection found but left out, and why (a pre-flight problem code and facts)."""

    eni_id: str
    problem: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewRequest:
    """A validated, pre-flighted request, ready to store: one or more targets."""

    region: str
    requester_id: str
    channel_id: str
    reason: str
    targets: tuple[NewTarget, ...]
    operation: str = "detach"
    # Found by a selector (tag:…, an instance) but not taken; shown on the card with the reason.
    left_out: tuple[LeftOut, ...] = ()
    selector: str | None = None  # how the ENIs were chosen, as typed ("tag:app=web"), if so
    undo_of: int | None = None  # an attach request undoing this detach request

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("a request needs at least one target")


@dataclass(frozen=True)
class TransitionResult:
    """Whether the move happened, and the request as it now stands (None if unknown ID)."""

    ok: bool
    request: DetachRequest | None


class Outcome(StrEnum):
    """What a person's click or command achieved."""

    APPROVED = "approved"  # quorum reached: the request moves to execution
    RECORDED = "recorded"  # approval counted, more approvals needed
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RETRYING = "retrying"
    REFUSED = "refused"


class Refusal(StrEnum):
    """Why a decision was refused; the Slack layer turns these into words."""

    NOT_FOUND = "not_found"
    OWN_REQUEST = "own_request"
    ALREADY_DECIDED_BY_YOU = "already_decided_by_you"
    NOT_PENDING = "not_pending"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_STUCK = "not_stuck"
    # The approval policy (the click's `Decision.check` says who could approve, and why not).
    NOT_APPROVER = "not_approver"  # not an approver of the governing rule (or freeze) now
    FROZEN = "frozen"  # a freeze without approvers is in force at the click
    RULE_GONE = "rule_gone"  # the governing rule is no longer in the policy file


@dataclass(frozen=True)
class Decision:
    """The result of approve/reject/cancel/retry."""

    outcome: Outcome
    request: DetachRequest | None
    refusal: Refusal | None = None
    approvals: int = 0
    needed: int = 0
    check: ClickCheck | None = None  # how the policy judged the click, when it refused it


@dataclass(frozen=True)
class EniObservation:
    """What a Describe said about the ENI (None instead of this means: it no longer exists)."""

    status: str
    instance_id: str | None
