"""The use cases the Slack surface calls, each its own transaction over the session factory.

A listener parses, calls one of these, and renders what it returns; it opens no transaction and
writes no SQL. `request_detach` and `request_attach` are pre-flight, then the approval policy
(`governing.govern`), then submit; `reattach` is an undo (`bot.requests.undo`) then the same;
the others are the people's decisions (`bot.requests.decisions`) in their unit of work, judged
by the policy at the click (`governing.Judge`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.policy import ApprovalPolicy, Refused
from bot.requests import attach_preflight, decisions, governing, preflight, repository, undo
from bot.requests.commands import DetachCommand
from bot.requests.governing import Judge
from bot.requests.models import DetachRequest
from bot.requests.ports import Clock, Ecs
from bot.requests.repository import OpenRequestExistsError
from bot.requests.rules import Problem
from bot.requests.schemas import Decision, NewRequest, Policy

__all__ = [
    "approve",
    "cancel",
    "reattach",
    "reject",
    "request_attach",
    "request_detach",
    "retry",
]

log = logging.getLogger(__name__)


def request_detach(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
    allowed_regions: Collection[str],
    policy: Policy,
    approval: ApprovalPolicy,
    clock: Clock,
) -> DetachRequest | preflight.Refused | Refused:
    """Pre-flight, then the policy, then store the request and queue its card; or why nothing
    was stored (pre-flight's refusal, or the policy's: deny, no rule, a freeze)."""
    checked = preflight.check(
        sessions,
        ecs,
        command,
        requester_id=requester_id,
        channel_id=channel_id,
        allowed_regions=allowed_regions,
        max_enis=policy.max_enis,
    )
    if isinstance(checked, preflight.Refused):
        return checked
    return _store(sessions, checked.new, command, policy=policy, approval=approval, clock=clock)


def request_attach(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
    allowed_regions: Collection[str],
    policy: Policy,
    approval: ApprovalPolicy,
    clock: Clock,
) -> DetachRequest | preflight.Refused | Refused:
    """`/eni attach`: pre-flight, then the policy, then store the attach request and queue its
    card."""
    checked = attach_preflight.check(
        sessions,
        ecs,
        command,
        requester_id=requester_id,
        channel_id=channel_id,
        allowed_regions=allowed_regions,
        max_enis=policy.max_enis,
    )
    if isinstance(checked, preflight.Refused):
        return checked
    return _store(sessions, checked.new, command, policy=policy, approval=approval, clock=clock)


def reattach(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    *,
    request_id: int,
    actor_id: str,
    actor_is_approver: bool,
    allowed_regions: Collection[str],
    policy: Policy,
    approval: ApprovalPolicy,
    clock: Clock,
) -> DetachRequest | preflight.Refused | undo.UndoRefused | Refused:
    """Undo a finished detach request: one attach request putting its ENIs back, or why not.

    The new request is `actor_id`'s (so they cannot approve it), in the old one's channel, and
    the old request's thread gets a reply naming it, in the same transaction.
    """
    with db.read(sessions) as session:
        planned = undo.plan(
            repository.get(session, request_id),
            request_id=request_id,
            actor_id=actor_id,
            actor_is_approver=actor_is_approver,
        )
    if isinstance(planned, undo.UndoRefused):
        return planned
    checked = attach_preflight.check(
        sessions,
        ecs,
        planned.command,
        requester_id=actor_id,
        channel_id=planned.channel_id,
        allowed_regions=allowed_regions,
        max_enis=policy.max_enis,
        destinations=planned.destinations,
        undo_of=request_id,
    )
    if isinstance(checked, preflight.Refused):
        return checked

    def then(session: Session, request: DetachRequest) -> None:
        undo.announce(session, old_id=request_id, new=request, actor_id=actor_id, now=clock())

    return _store(
        sessions,
        checked.new,
        planned.command,
        policy=policy,
        approval=approval,
        clock=clock,
        then=then,
    )


def _store(
    sessions: sessionmaker[Session],
    new: NewRequest,
    command: DetachCommand,
    *,
    policy: Policy,
    approval: ApprovalPolicy,
    clock: Clock,
    then: Callable[[Session, DetachRequest], None] | None = None,
) -> DetachRequest | preflight.Refused | Refused:
    """The policy, then store a pre-flighted request (and what `then` adds) in one
    transaction; or why nothing was stored (the policy's deny, no rule, a freeze; or another
    request that took an ENI between the check and the insert)."""
    now = clock()
    governed = governing.govern(approval, new, now=now)
    if isinstance(governed, Refused):
        log.info(
            "request refused by policy: %s",
            "; ".join(f"{r.kind.value} {r.name or '-'}" for r in governed.refusals),
        )
        return governed
    try:
        with db.transaction(sessions) as session:
            request = decisions.submit(session, new=new, policy=policy, now=now, governed=governed)
            if then is not None:
                then(session, request)
    except OpenRequestExistsError as exc:
        # Another delivery (or person) got there between the check and the insert.
        held = exc.existing
        problem = preflight.EniProblem(held.eni_id, Problem.OPEN_REQUEST, existing=held)
        return preflight.Refused(
            Problem.OPEN_REQUEST, command, existing=held, problems=(problem,), undo_of=new.undo_of
        )
    log.info(
        "%s request %s stored enis=%d first=%s region=%s requester=%s rule=%s undo_of=%s",
        new.operation,
        request.id,
        len(request.targets),
        request.target.eni_id,
        request.region,
        new.requester_id,
        governed.rule,
        new.undo_of,
    )
    return request


def approve(
    sessions: sessionmaker[Session],
    *,
    request_id: int,
    approver_id: str,
    judge: Judge,
    policy: Policy,
    now: datetime,
) -> Decision:
    """One approver's approval (see `decisions.approve`), in its own transaction."""
    with db.transaction(sessions) as session:
        return decisions.approve(
            session,
            request_id=request_id,
            approver_id=approver_id,
            judge=judge,
            policy=policy,
            now=now,
        )


def reject(
    sessions: sessionmaker[Session],
    *,
    request_id: int,
    approver_id: str,
    judge: Judge,
    policy: Policy,
    now: datetime,
) -> Decision:
    """One approver's rejection, in its own transaction."""
    with db.transaction(sessions) as session:
        return decisions.reject(
            session,
            request_id=request_id,
            approver_id=approver_id,
            judge=judge,
            policy=policy,
            now=now,
        )


def cancel(
    sessions: sessionmaker[Session],
    *,
    request_id: int,
    actor_id: str,
    actor_is_approver: bool,
    policy: Policy,
    now: datetime,
) -> Decision:
    """The requester or an approver withdraws a request, in its own transaction."""
    with db.transaction(sessions) as session:
        return decisions.cancel(
            session,
            request_id=request_id,
            actor_id=actor_id,
            actor_is_approver=actor_is_approver,
            policy=policy,
            now=now,
        )


def retry(
    sessions: sessionmaker[Session],
    *,
    request_id: int,
    actor_id: str,
    policy: Policy,
    now: datetime,
) -> Decision:
    """Re-initiate a stuck request's stuck ENIs, in its own transaction."""
    with db.transaction(sessions) as session:
        return decisions.retry(
            session, request_id=request_id, actor_id=actor_id, policy=policy, now=now
        )
