"""`/eni status`: a request now, and every step of its history with times and IDs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.requests import governing
from bot.requests.models import DetachRequest, RequestEvent, RequestTarget
from bot.requests.states import Status, TargetStatus
from bot.slack.blocks import bulk, kit, policy, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import (
    channel,
    code,
    escape_inline,
    mention,
    request_ref,
    when,
    who,
)

__all__ = [
    "MAX_AUDIT_LINES",
    "audit_line",
    "no_request",
    "no_request_for_eni",
    "status_message",
]

MAX_AUDIT_LINES = 60
_TARGET = frozenset(s.value for s in TargetStatus)


def status_message(
    request: DetachRequest,
    history: Sequence[RequestEvent],
    approvers: Sequence[str] = (),
    rejecters: Sequence[str] = (),
) -> Message:
    """The request now, its decisions as they stand, then its history (long ones elided)."""
    state = request.state
    several = len(request.targets) > 1
    verb = request.operation.capitalize()
    where = "to" if request.operation == "attach" else "from"
    what = (
        f"{verb} {len(request.targets)} ENIs"
        if several
        else f"{verb} {code(request.target.eni_id)} {where} {code(request.target.instance_id)}"
    )
    head = (
        f"*Request {request_ref(request.id)}* — {words.label(state)}\n"
        f"{what} in "
        f"{code(request.region)}, requested by {mention(request.requester_id)} in "
        f"{channel(request.channel_id)}.\n*Reason:* {escape_inline(request.reason)}"
    )
    extra: list[str] = []
    requirement = governing.requirement(request)
    if requirement is not None:
        extra.append(policy.rule_line(requirement))
    if state is Status.PENDING:
        extra.append(f"Expires {when(request.expires_at)}.")
    # Each approver's decision as it stands, as the card shows it; the history has every click.
    if approvers:
        extra.append("Approved by " + ", ".join(mention(a) for a in approvers) + ".")
    if rejecters:
        extra.append("Rejected by " + ", ".join(mention(a) for a in rejecters) + ".")
    if several:
        extra.append(f"*Progress:* {bulk.progress(request)}")
    elif request.target.ecs_request_id:
        extra.append(f"Last ECS request ID {code(request.target.ecs_request_id)}.")
    if not several and request.target.error_code:
        extra.append(
            f"Error {code(request.target.error_code)}: "
            f"{escape_inline(request.target.error_message or '', limit=300)}"
        )
    if extra:
        head += "\n" + "\n".join(extra)
    # A one-ENI request's history reads as in 0.1: its ENI's moves are the request's own.
    lines = [audit_line(e) for e in history if several or e.kind != "target"]
    if len(lines) > MAX_AUDIT_LINES:
        hidden = len(lines) - MAX_AUDIT_LINES
        lines = [
            *lines[: MAX_AUDIT_LINES // 2],
            f"… {hidden} more …",
            *lines[-MAX_AUDIT_LINES // 2 :],
        ]
    blocks = [kit.section(head)]
    if several:
        blocks.append(kit.section("*ENIs*"))
        blocks += kit.sections(_eni_status_line(t) for t in request.targets)
    blocks += [kit.divider(), kit.section("*History*")]
    blocks += kit.sections(lines or ["_no events recorded_"])
    return kit.message(f"Request #{request.id}: {words.label(state)}", blocks)


def _eni_status_line(target: RequestTarget) -> str:
    """One ENI of a several-ENI request: its state, ECS request ID and error."""
    line = f"{bulk.target_line(target, with_state=True)} · from {code(target.instance_id)}"
    if target.ecs_request_id:
        line += f" · ECS request ID {code(target.ecs_request_id)}"
    return line


def audit_line(event: RequestEvent) -> str:
    """One history entry: when, who, what (ECS calls with their request IDs)."""
    detail: Mapping[str, Any] = event.detail or {}
    if event.kind == "target":
        state = str(detail.get("target_status") or "")
        shown = bulk.TARGET_WORDS.get(TargetStatus(state), state) if state in _TARGET else state
        what = f"{code(str(detail.get('eni_id', '?')))}: {shown}"
    elif event.kind == "ecs_call":
        what = words.ecs_call_history(detail)
    elif event.kind == "approval":
        what = words.approval_history(who(event.actor), detail)
    elif event.kind == "ecs_trouble":
        what = words.ecs_trouble_history(detail)
    elif event.kind == "undo":
        what = f"Undo asked by {who(event.actor)}: request #{detail.get('undo_by', '?')}"
    else:
        what = words.history(_status_or_none(event.to_status), who(event.actor), detail)
    return f"{when(event.at)} · {what}"


def _status_or_none(value: str | None) -> Status | None:
    try:
        return Status(value) if value is not None else None
    except ValueError:
        return None


def no_request(request_id: int) -> Message:
    """`/eni status <id>` of a request that does not exist."""
    return _not_found(f"There is no request {request_ref(request_id)}.")


def no_request_for_eni(eni_id: str) -> Message:
    """`/eni status <eni-id>` of an ENI nobody ever asked about."""
    return _not_found(f"No request was ever made for {code(eni_id)}.")


def _not_found(what: str) -> Message:
    return kit.note(
        f":grey_question: {what}",
        kit.context("`/eni list` shows the open requests; `/eni list mine` shows yours."),
    )
