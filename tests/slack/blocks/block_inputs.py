"""Inputs for the block builder tests (transient rows, no database) and one limits checker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.states import Status
from bot.sim.slack.blockcheck import MAX_BLOCKS_MESSAGE, block_problems, mrkdwn_objects
from bot.slack.blocks.kit import Message

from support.rows import one_target_request

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REQUESTER, APPROVER, OTHER = "U0REQUESTER", "U0APPROVER1", "U0APPROVER2"
CHANNEL = "C0ENIOPS"
ENI, INSTANCE, REGION = "eni-bp1d7r2k9m4x6c3v5n", "i-bp1a3f9k2m7x4q8w6e", "cn-hangzhou"
# Slack's limit on any one text object's text (section text, context element).
TEXT_LIMIT = 3000


def request(status: Status = Status.PENDING, **fields: Any) -> DetachRequest:
    """A request as the store holds it, in `status`, with `fields` overriding the defaults."""
    values: dict[str, Any] = {
        "id": 7,
        "region": REGION,
        "eni_id": ENI,
        "instance_id": INSTANCE,
        "requester_id": REQUESTER,
        "channel_id": CHANNEL,
        "card_ts": None,
        "reason": "moving the app network to the new node",
        "status": status.value,
        "approvals_needed": 1,
        "expires_at": NOW + timedelta(minutes=30),
        "eni_snapshot": {},
        "ecs_request_id": None,
        "error_code": None,
        "error_message": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return one_target_request(values)


def event(
    kind: str,
    to: Status | None,
    detail: dict[str, Any] | None = None,
    *,
    actor: str = APPROVER,
    source: Status | None = None,
) -> RequestEvent:
    """An audit row as the store writes it."""
    return RequestEvent(
        request_id=7,
        at=NOW,
        actor=actor,
        kind=kind,
        from_status=source and source.value,
        to_status=to and to.value,
        detail=detail or {},
    )


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every mrkdwn text in `blocks`, in order."""
    for obj in mrkdwn_objects(blocks):
        yield obj["text"]


def everything(message: Message) -> str:
    """All the words of a message (its mrkdwn texts), one block after another."""
    return "\n".join(texts(message.blocks))


def limit_problems(
    blocks: list[dict[str, Any]], *, max_blocks: int = MAX_BLOCKS_MESSAGE
) -> list[str]:
    """What Slack would refuse in `blocks` (the stand-in's checks, plus every text's length)."""
    problems = block_problems(blocks, limit=max_blocks)
    problems += [f"text of {len(t)} characters" for t in texts(blocks) if len(t) > TEXT_LIMIT]
    for block in blocks:
        if block.get("type") == "context" and len(block.get("elements", [])) > 10:
            problems.append("context with more than 10 elements")
    return problems
