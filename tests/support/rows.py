"""Transient rows (no database) for tests that render: a request with its one target."""

from __future__ import annotations

from typing import Any

from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.states import Status, TargetStatus

# Which fields a test may give belong to the ENI (the target), not the request.
TARGET_FIELDS = frozenset(c.key for c in RequestTarget.__table__.columns) - {
    "id",
    "request_id",
    "region",
    "operation",  # the request's, copied to its target
    "status",
    "created_at",
    "updated_at",
    "finished_at",
}

# The target status a one-ENI request in each status has (as the roll-up keeps it).
TARGET_OF: dict[Status, TargetStatus] = {
    Status.PENDING: TargetStatus.QUEUED,
    Status.APPROVED: TargetStatus.QUEUED,
    Status.EXECUTING: TargetStatus.SENDING,
    Status.DETACHING: TargetStatus.IN_FLIGHT,
    Status.STUCK: TargetStatus.STUCK,
    Status.DETACHED: TargetStatus.DONE,
    Status.ATTACHING: TargetStatus.IN_FLIGHT,
    Status.ATTACHED: TargetStatus.DONE,
    Status.FAILED: TargetStatus.FAILED,
    Status.REJECTED: TargetStatus.SKIPPED,
    Status.EXPIRED: TargetStatus.SKIPPED,
    Status.CANCELLED: TargetStatus.SKIPPED,
}


_ATTACH = frozenset({Status.ATTACHING, Status.ATTACHED})


def one_target_request(values: dict[str, Any]) -> DetachRequest:
    """`values` of both kinds, split: the request's own, and its one target's."""
    target = {k: values.pop(k) for k in list(values) if k in TARGET_FIELDS}
    status = Status(values.get("status", Status.PENDING.value))
    values.setdefault("operation", "attach" if status in _ATTACH else "detach")
    values.setdefault("left_out", [])
    return DetachRequest(
        **values,
        targets=[
            RequestTarget(
                position=0,
                region=values.get("region", "cn-hangzhou"),
                operation=values["operation"],
                status=TARGET_OF[status].value,
                **target,
            )
        ],
    )
