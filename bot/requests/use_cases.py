"""The use cases the Slack surface calls, each its own transaction over the session factory.

A listener parses, calls one of these, and renders what it returns; it opens no transaction and
writes no SQL. `request_detach` is pre-flight, then the approval policy (`governing.govern`),
then submit; the others are the people's decisions (`bot.requests.decisions`) in their unit of
work, judged by the policy at the click (`governing.Judge`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.policy import ApprovalPolicy, Refused
from bot.requests import decisions, governing, preflight
from bot.requests.commands import DetachCommand
from bot.requests.governing import Judge
from bot.requests.models import DetachRequest
from bot.requests.ports import Clock, Ecs
from bot.requests.repository import OpenRequestExistsError
from bot.requests.rules import Problem
from bot.requests.schemas import Decision, Policy

__all__ = ["approve", "cancel", "reject", "request_detach", "retry"]

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
    now = clock()
    governed = governing.govern(approval, checked.new, now=now)
    if isinstance(governed, Refused):
        log.info(
            "request refused by policy: %s",
            "; ".join(f"{r.kind.value} {r.name or '-'}" for r in governed.refusals),
        )
        return governed
    try:
        with db.transaction(sessions) as session:
            request = decisions.submit(
                session, new=checked.new, policy=policy, now=now, governed=governed
            )
    except OpenRequestExistsError as exc:
        # Another delivery (or person) got there between the check and the insert.
        held = exc.existing
        problem = preflight.EniProblem(held.eni_id, Problem.OPEN_REQUEST, existing=held)
        return preflight.Refused(Problem.OPEN_REQUEST, command, existing=held, problems=(problem,))
    log.info(
        "request %s stored enis=%d first=%s region=%s requester=%s rule=%s",
        request.id,
        len(request.targets),
        request.target.eni_id,
        request.region,
        requester_id,
        governed.rule,
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
