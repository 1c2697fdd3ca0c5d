"""Undo of a detach request: who may ask, what it puts back, and the old thread's reply.

CONTRACT.md, "Attach and re-attach": the requester of a detach request, or an approver, may undo
it once it finished (detached or failed) with at least one ENI detached. The undo is one attach
request for the ENIs that request detached, each back to the instance it was detached from,
posted in the same channel, naming the old request (`undo_of`); the old request's thread gets a
reply naming the new one. `plan` is pure; `announce` runs in the new request's transaction, so
the reply is queued if and only if the request is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository
from bot.requests.commands import MAX_REASON_LENGTH, DetachCommand
from bot.requests.models import DetachRequest
from bot.requests.states import Status, TargetStatus

__all__ = ["UNDOABLE", "Undo", "UndoRefusal", "UndoRefused", "announce", "plan"]

# A detach request that ended with an outcome on ECS (rejected, expired, cancelled: nothing
# was ever detached, so nothing to put back).
UNDOABLE = frozenset({Status.DETACHED, Status.FAILED})


class UndoRefusal(StrEnum):
    """Why a request cannot be undone (the Slack layer has the words)."""

    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # neither its requester nor an approver
    NOT_A_DETACH = "not_a_detach"  # an attach request: undo works on detaches
    NOT_FINISHED = "not_finished"  # still open, or ended without touching ECS
    NOTHING_DETACHED = "nothing_detached"  # finished, but no ENI of it was detached


@dataclass(frozen=True)
class UndoRefused:
    """The undo was refused before any ENI was looked at; nothing was stored."""

    refusal: UndoRefusal
    request_id: int
    status: Status | None = None


@dataclass(frozen=True)
class Undo:
    """What an undo asks for: the attach command, and where each of its ENIs goes back to."""

    command: DetachCommand
    destinations: dict[str, str]
    channel_id: str  # the old request's: the new card goes next to it


def plan(
    old: DetachRequest | None, *, request_id: int, actor_id: str, actor_is_approver: bool
) -> Undo | UndoRefused:
    """The attach that undoes `old`, or why it cannot be undone by this person now."""
    if old is None:
        return UndoRefused(UndoRefusal.NOT_FOUND, request_id)
    if actor_id != old.requester_id and not actor_is_approver:
        return UndoRefused(UndoRefusal.NOT_ALLOWED, request_id, old.state)
    if old.operation != "detach":
        return UndoRefused(UndoRefusal.NOT_A_DETACH, request_id, old.state)
    if old.state not in UNDOABLE:
        return UndoRefused(UndoRefusal.NOT_FINISHED, request_id, old.state)
    done = [t for t in old.targets if t.state is TargetStatus.DONE]
    if not done:
        return UndoRefused(UndoRefusal.NOTHING_DETACHED, request_id, old.state)
    reason = f"Undo of request #{old.id}: {old.reason}"
    command = DetachCommand(
        operation="attach",
        eni_ids=tuple(t.eni_id for t in done),
        region=old.region,
        region_given=True,
        reason=reason[:MAX_REASON_LENGTH],
    )
    return Undo(
        command=command,
        destinations={t.eni_id: t.instance_id for t in done},
        channel_id=old.channel_id,
    )


def announce(db: Session, *, old_id: int, new: DetachRequest, actor_id: str, now: datetime) -> None:
    """Record the undo on the old request and queue its thread's reply naming the new one."""
    repository.add_event(
        db,
        request_id=old_id,
        at=now,
        actor=actor_id,
        kind="undo",
        detail={"undo_by": new.id, "enis": [t.eni_id for t in new.targets]},
    )
    key = outbox.thread_key(old_id)
    outbox.enqueue(
        db,
        kind=MessageKind.THREAD_REPLY,
        request_id=old_id,
        payload={"undo_by": new.id, "actor": actor_id, "enis": len(new.targets)},
        ordering_key=key,
        dedupe_key=f"{key}:undo_by:{new.id}",
        now=now,
    )
