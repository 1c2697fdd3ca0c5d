"""Helpers to create detach requests in a test database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import service
from bot.requests.models import DetachRequest

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def new_request(
    eni: str = "eni-bp1aaaaaaaaaaaaaaaa", requester: str = "UREQ"
) -> service.NewRequest:
    """A valid pre-flighted request."""
    return service.NewRequest(
        region="cn-hangzhou",
        eni_id=eni,
        instance_id="i-bp1bbbbbbbbbbbbbbbb",
        requester_id=requester,
        channel_id="COPS",
        reason="rotate the NIC",
        eni_snapshot={"name": "web-1", "private_ip": "10.0.0.5"},
    )


def submit(
    factory: sessionmaker[Session],
    *,
    eni: str = "eni-bp1aaaaaaaaaaaaaaaa",
    policy: service.Policy | None = None,
    now: datetime = NOW,
) -> DetachRequest:
    """Store one pending request and return it."""
    with db.transaction(factory) as s:
        return service.submit(s, new=new_request(eni), policy=policy or service.Policy(), now=now)
