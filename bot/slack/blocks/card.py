"""The approval card: what is asked, why, the ENI's live details, and where the request stands.

Rendered from the request's stored state each time (first post, and every `chat.update`), so a
coalesced or repeated update comes out the same. Approve/Reject buttons only while pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.requests.models import DetachRequest
from bot.requests.states import Status
from bot.slack.blocks import bulk, kit, policy, words
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.text import code, escape_inline, mention
from bot.slack.ids import ActionId

__all__ = ["Decider", "approval_card", "decide_buttons"]


@dataclass(frozen=True)
class Decider:
    """One approver's recorded decision, as the card shows it."""

    user_id: str
    decision: str  # "approve" | "reject"


def approval_card(request: DetachRequest, deciders: Sequence[Decider] = ()) -> Message:
    """The approval card, rendered from the request's current state (buttons only while pending)."""
    if len(request.targets) > 1:
        return _several_card(request, deciders)
    status = request.state
    target = request.target
    title = f"ENI {request.operation} request #{request.id}"
    blocks: list[Block] = [
        kit.header(title),
        kit.fields(
            _field("ENI", code(target.eni_id)),
            _field("Instance", code(target.instance_id)),
            _field("Region", code(request.region)),
            _field("Requested by", mention(request.requester_id)),
        ),
        kit.section(f"*Reason:* {escape_inline(request.reason) or '_none given_'}"),
    ]
    details = _eni_details(target.eni_snapshot or {})
    if details:
        blocks.append(kit.context(*details))
    blocks += _undo_note(request)
    blocks += policy.rule_blocks(request)
    blocks.append(kit.section(_state_line(request, deciders)))
    if status is Status.PENDING:
        blocks.append(decide_buttons(request.id, block_id=f"decide:{request.id}"))
    where = "to" if request.operation == "attach" else "from"
    text = (
        f"{title}: {request.operation} {target.eni_id} {where} {target.instance_id} "
        f"({words.label(status)})"
    )
    return kit.message(text, blocks)


def _several_card(request: DetachRequest, deciders: Sequence[Decider]) -> Message:
    """One card for a request of several ENIs: the count, the instances, each ENI, progress."""
    status = request.state
    count = len(request.targets)
    title = f"ENI {request.operation} request #{request.id} ({count} ENIs)"
    instances = bulk.instances_of(request)
    shown = ", ".join(code(i) for i in instances[:3])
    if len(instances) > 3:
        shown += f" and {len(instances) - 3} more"
    blocks: list[Block] = [
        kit.header(title),
        kit.fields(
            _field("ENIs", str(count)),
            _field("Instances" if len(instances) > 1 else "Instance", shown),
            _field("Region", code(request.region)),
            _field("Requested by", mention(request.requester_id)),
        ),
        kit.section(f"*Reason:* {escape_inline(request.reason) or '_none given_'}"),
    ]
    if request.selector:
        blocks.append(kit.context(f"Selected by {code(request.selector[:200])}"))
    blocks += _undo_note(request)
    blocks += bulk.eni_section(request)
    left_out = bulk.left_out_lines(request)
    if left_out:
        head = f"*Left out ({len(request.left_out)}):*"
        blocks.append(kit.section("\n".join([head, *left_out])))
    blocks += policy.rule_blocks(request)
    line = _state_line(request, deciders)
    if status not in (Status.PENDING, Status.APPROVED, Status.REJECTED):
        line += f"\n*Progress:* {bulk.progress(request)}"
    blocks.append(kit.section(line))
    if status is Status.PENDING:
        blocks.append(decide_buttons(request.id, block_id=f"decide:{request.id}"))
    text = f"{title}: {request.operation} {count} ENIs in {request.region} ({words.label(status)})"
    return kit.message(text, blocks)


def _undo_note(request: DetachRequest) -> list[Block]:
    """An undo names the detach request it puts back."""
    if request.undo_of is None:
        return []
    return [
        kit.context(
            f":leftwards_arrow_with_hook: Undoes request *#{request.undo_of}*: puts each ENI "
            "back on the instance it was detached from."
        )
    ]


def decide_buttons(request_id: int, *, block_id: str) -> Block:
    """Approve and Reject, each carrying the request ID (the card and App Home use these)."""
    rid = str(request_id)
    return kit.actions(
        block_id,
        kit.button("Approve", ActionId.APPROVE.value, rid, style="primary"),
        kit.button("Reject", ActionId.REJECT.value, rid, style="danger"),
    )


def _field(label: str, value: str) -> str:
    return f"*{label}*\n{value}"


def _state_line(request: DetachRequest, deciders: Sequence[Decider]) -> str:
    status = request.state
    approvers = [d.user_id for d in deciders if d.decision == "approve"]
    rejecters = [d.user_id for d in deciders if d.decision == "reject"]
    line = f"{words.emoji(status)} *Status:* {words.label(status)}"
    if status is Status.PENDING:
        line += f" ({len(approvers)} of {request.approvals_needed} approvals)"
    if approvers:
        line += "\nApproved by " + ", ".join(mention(u) for u in approvers)
    if rejecters:
        line += "\nRejected by " + ", ".join(mention(u) for u in rejecters)
    if len(request.targets) > 1:
        return line  # each ENI's IDs and errors: its own reply, and `/eni status`
    target = request.target
    if target.ecs_request_id:
        line += f"\nECS request ID {code(target.ecs_request_id)}"
    if status is Status.FAILED and target.error_code:
        meaning = words.failure_meaning(target.error_code, request.operation)
        line += f"\nError {code(target.error_code)}: {meaning}"
    return line


def _eni_details(snapshot: Mapping[str, Any]) -> list[str]:
    """Live details captured at pre-flight (NetworkInterface field names), as context lines."""
    out: list[str] = []
    name = snapshot.get("name")
    if name:
        out.append(f"*Name:* {escape_inline(str(name), limit=100)}")
    description = snapshot.get("description")
    if description:
        out.append(f"*Description:* {escape_inline(str(description), limit=200)}")
    ip = snapshot.get("private_ip")
    if ip:
        out.append(f"*Private IP:* {code(str(ip))}")
    vpc, vsw = snapshot.get("vpc_id"), snapshot.get("vswitch_id")
    if vpc or vsw:
        out.append(f"*VPC / vSwitch:* {code(str(vpc or '-'))} / {code(str(vsw or '-'))}")
    groups = snapshot.get("security_group_ids") or snapshot.get("security_groups")
    if isinstance(groups, list) and groups:
        out.append("*Security groups:* " + ", ".join(code(str(g)) for g in groups[:5]))
    tags = snapshot.get("tags")
    if isinstance(tags, Mapping) and tags:
        shown = ", ".join(f"{k}={v}" for k, v in list(tags.items())[:10])
        out.append(f"*Tags:* {escape_inline(shown, limit=300)}")
    eni_status = snapshot.get("status")
    if eni_status:
        out.append(f"*ENI status at request:* {escape_inline(str(eni_status), limit=30)}")
    return out
