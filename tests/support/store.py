"""A migrated test database, and detach requests created in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import decisions, schemas
from bot.requests.models import DetachRequest

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@contextmanager
def migrated(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database at `url`, migrated to head first; its pool closed after."""
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        yield db.session_factory(engine)
    finally:
        engine.dispose()


def new_request(
    eni: str = "eni-bp1aaaaaaaaaaaaaaaa", requester: str = "UREQ"
) -> schemas.NewRequest:
    """A valid pre-flighted request."""
    return schemas.NewRequest(
        region="cn-hangzhou",
        requester_id=requester,
        channel_id="COPS",
        reason="rotate the NIC",
        targets=(
            schemas.NewTarget(
                eni_id=eni,
                instance_id="i-bp1bbbbbbbbbbbbbbbb",
                eni_snapshot={"name": "web-1", "private_ip": "10.0.0.5"},
            ),
        ),
    )


def submit(
    factory: sessionmaker[Session],
    *,
    eni: str = "eni-bp1aaaaaaaaaaaaaaaa",
    policy: schemas.Policy | None = None,
    now: datetime = NOW,
) -> DetachRequest:
    """Store one pending request and return it."""
    with db.transaction(factory) as s:
        return decisions.submit(s, new=new_request(eni), policy=policy or schemas.Policy(), now=now)
