"""What the Slack surface reads: a request's history, lists, the Home tab's requests.

Each read is its own read-only unit of work (`bot.db.read`: never SQLite's write lock); what
comes back stays usable after the session closes, for the block builders.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import repository
from bot.requests.commands import ListScope
from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.states import OPEN, Status

__all__ = ["History", "HomeLists", "history", "home", "list_requests"]


@dataclass(frozen=True)
class History:
    """A request with its audit trail and who decided what (for `/eni status`)."""

    request: DetachRequest
    events: list[RequestEvent]
    approvers: list[str]
    rejecters: list[str]


@dataclass(frozen=True)
class HomeLists:
    """A person's Home tab: the pending requests (approvers only) and their own."""

    pending: list[DetachRequest]
    mine: list[DetachRequest]


def history(
    sessions: sessionmaker[Session], *, request_id: int | None = None, eni_id: str | None = None
) -> History | None:
    """The request by ID, or the newest request with this ENI; None when there is none."""
    with db.read(sessions) as session:
        if request_id is not None:
            request = repository.get(session, request_id)
        elif eni_id is not None:
            request = repository.latest_for_eni(session, eni_id)
        else:
            raise ValueError("give a request ID or an ENI ID")
        if request is None:
            return None
        decided = repository.approvals(session, request.id)
        return History(
            request=request,
            events=repository.events(session, request.id),
            approvers=[a.approver_id for a in decided if a.decision == "approve"],
            rejecters=[a.approver_id for a in decided if a.decision == "reject"],
        )


def list_requests(
    sessions: sessionmaker[Session], scope: ListScope, *, user_id: str, limit: int
) -> list[DetachRequest]:
    """`/eni list`: the person's own, the pending, or the open requests, newest first."""
    with db.read(sessions) as session:
        if scope is ListScope.MINE:
            return repository.list_requests(session, requester_id=user_id, limit=limit)
        if scope is ListScope.PENDING:
            return repository.list_requests(session, statuses=[Status.PENDING], limit=limit)
        return repository.list_requests(session, statuses=OPEN, limit=limit)


def home(
    sessions: sessionmaker[Session],
    *,
    user_id: str,
    is_approver: bool,
    pending_limit: int,
    mine_limit: int,
) -> HomeLists:
    """The requests a Home tab shows (pending ones only to approvers)."""
    with db.read(sessions) as session:
        pending = (
            repository.list_requests(session, statuses=[Status.PENDING], limit=pending_limit)
            if is_approver
            else []
        )
        mine = repository.list_requests(session, requester_id=user_id, limit=mine_limit)
    return HomeLists(pending=pending, mine=mine)
