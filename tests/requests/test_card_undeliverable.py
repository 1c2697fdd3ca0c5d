"""A card that can never be posted cancels its request and tells the requester (the use case)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox.models import MessageKind, OutboxMessage
from bot.requests import cards, decisions, repository, schemas
from bot.requests.models import DetachRequest
from bot.requests.states import Status

from support.store import NOW, submit

POLICY = schemas.Policy()


def _undeliverable(factory: sessionmaker[Session], request_id: int) -> bool:
    with db.transaction(factory) as s:
        return cards.card_undeliverable(
            s, request_id=request_id, problem="channel_not_found", policy=POLICY, now=NOW
        )


def _notices(factory: sessionmaker[Session], request_id: int) -> list[OutboxMessage]:
    with factory() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.request_id == request_id,
                    OutboxMessage.kind == MessageKind.REQUESTER_NOTICE,
                )
            )
        )


def test_a_pending_request_is_cancelled_with_its_audit_row_and_a_notice(
    factory: sessionmaker[Session],
) -> None:
    req = submit(factory)
    assert _undeliverable(factory, req.id)
    with factory() as s:
        found = repository.get(s, req.id)
        assert found is not None and found.state is Status.CANCELLED
        event = repository.events(s, req.id)[-1]
    assert (event.from_status, event.to_status, event.actor) == (
        "pending",
        "cancelled",
        schemas.SYSTEM_RELAY,
    )
    assert event.detail == {"card_undeliverable": "channel_not_found"}
    [notice] = _notices(factory, req.id)
    assert notice.payload == {"user": "UREQ", "problem": "channel_not_found", "cancelled": True}
    # The ENI is free again: the same ENI can be requested at once.
    assert submit(factory).id != req.id


def test_a_request_past_approval_runs_on_and_the_requester_is_told_so(
    factory: sessionmaker[Session],
) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        s.execute(
            update(DetachRequest).where(DetachRequest.id == req.id).values(status="executing")
        )
    assert not _undeliverable(factory, req.id)
    [notice] = _notices(factory, req.id)
    assert notice.payload["cancelled"] is False


def test_a_request_that_already_ended_gets_no_notice(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        decisions.cancel(
            s, request_id=req.id, actor_id="UREQ", actor_is_approver=False, policy=POLICY, now=NOW
        )
    assert not _undeliverable(factory, req.id)
    assert _notices(factory, req.id) == []
