"""Block Kit for what the outbox relay posts: the approval card, thread replies, summaries.

Pure functions of the request's stored state and the outbox row's payload, so a message can be
rendered again (after a crash, for a coalesced card update) and come out the same. Every piece of
text a person typed, or that ECS sent, is escaped before it reaches mrkdwn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ecs.errors import lookup
from bot.requests.models import DetachRequest
from bot.requests.states import Status
from bot.slack.ids import ActionId
from bot.slack.text import code, escape, escape_inline, mention, mrkdwn

__all__ = [
    "DIGEST_MAX_ITEMS",
    "Decider",
    "Rendered",
    "card",
    "digest",
    "incident_summary",
    "thread_reply",
]

DIGEST_MAX_ITEMS = 100
_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
_LINES_PER_SECTION = 20

_STATUS_WORDS: Mapping[Status, str] = {
    Status.PENDING: "Pending approval",
    Status.APPROVED: "Approved",
    Status.EXECUTING: "Executing",
    Status.DETACHING: "Detaching",
    Status.DETACHED: "Available (detached)",
    Status.STUCK: "Stuck",
    Status.FAILED: "Failed",
    Status.REJECTED: "Rejected",
    Status.EXPIRED: "Expired",
    Status.CANCELLED: "Cancelled",
}

_STATUS_EMOJI: Mapping[Status, str] = {
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.APPROVED: ":white_check_mark:",
    Status.EXECUTING: ":gear:",
    Status.DETACHING: ":arrows_counterclockwise:",
    Status.DETACHED: ":large_green_circle:",
    Status.STUCK: ":warning:",
    Status.FAILED: ":x:",
    Status.REJECTED: ":no_entry_sign:",
    Status.EXPIRED: ":alarm_clock:",
    Status.CANCELLED: ":heavy_multiplication_x:",
}

_STUCK_GUIDANCE = (
    "*What to do:* re-initiate the detach with the button below (or `/eni retry {rid}`). "
    "If it is still stuck after that, restart the instance {instance} and retry again."
)


@dataclass(frozen=True)
class Rendered:
    """A message ready for chat.postMessage / chat.update: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Decider:
    """One approver's recorded decision, as the card shows it."""

    user_id: str
    decision: str  # "approve" | "reject"


def status_words(status: Status) -> str:
    """The state in words people read ("Detaching", "Available (detached)")."""
    return _STATUS_WORDS[status]


# ---------------------------------------------------------------------------- the card


def card(request: DetachRequest, deciders: Sequence[Decider] = ()) -> Rendered:
    """The approval card, rendered from the request's current state (buttons only while pending)."""
    status = request.state
    rid = str(request.id)
    title = f"ENI detach request #{rid}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {
            "type": "section",
            "fields": [
                _field("ENI", code(request.eni_id)),
                _field("Instance", code(request.instance_id)),
                _field("Region", code(request.region)),
                _field("Requested by", mention(request.requester_id)),
            ],
        },
        _section(f"*Reason:* {escape_inline(request.reason) or '_none given_'}"),
    ]
    details = _eni_details(request.eni_snapshot or {})
    if details:
        blocks.append({"type": "context", "elements": [mrkdwn(d) for d in details]})
    blocks.append(_section(_state_line(request, deciders)))
    if status is Status.PENDING:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"decide:{rid}",
                "elements": [
                    _button("Approve", ActionId.APPROVE, rid, style="primary"),
                    _button("Reject", ActionId.REJECT, rid, style="danger"),
                ],
            }
        )
    text = f"{title}: detach {request.eni_id} from {request.instance_id} ({status_words(status)})"
    return Rendered(text=text, blocks=blocks)


def _state_line(request: DetachRequest, deciders: Sequence[Decider]) -> str:
    status = request.state
    approvers = [d.user_id for d in deciders if d.decision == "approve"]
    rejecters = [d.user_id for d in deciders if d.decision == "reject"]
    line = f"{_STATUS_EMOJI[status]} *Status:* {status_words(status)}"
    if status is Status.PENDING:
        line += f" ({len(approvers)} of {request.approvals_needed} approvals)"
    if approvers:
        line += "\nApproved by " + ", ".join(mention(u) for u in approvers)
    if rejecters:
        line += "\nRejected by " + ", ".join(mention(u) for u in rejecters)
    if request.ecs_request_id:
        line += f"\nECS request ID {code(request.ecs_request_id)}"
    if status is Status.FAILED and request.error_code:
        line += f"\nError {code(request.error_code)}: {escape(lookup(request.error_code).meaning)}"
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
    # A context block holds at most 10 elements.
    return out[:10]


# ---------------------------------------------------------------------------- thread replies


def thread_reply(request: DetachRequest, payload: Mapping[str, Any]) -> Rendered:
    """One reply naming the state change the outbox row announces (payload from the service)."""
    detail: Mapping[str, Any] = payload.get("detail") or {}
    actor = str(payload.get("actor") or "")
    status = Status(str(payload.get("status") or request.status))
    rid = str(request.id)
    if detail.get("ecs_trouble"):
        err = str(detail.get("error_code") or "unknown")
        return _plain(
            f":satellite_antenna: Alibaba Cloud is not answering reliably right now "
            f"({code(err)}). The bot keeps retrying with backoff; nothing to do for now. "
            "(This note is posted once.)"
        )
    if detail.get("partial"):
        got, needed = detail.get("approvals", 1), detail.get("needed", 1)
        return _plain(
            f":ballot_box_with_check: Approval {got} of {needed} by {_who(actor)}; "
            f"waiting for {int(needed) - int(got)} more."
        )
    if status is Status.APPROVED:
        return _plain(
            f":white_check_mark: Approved by {_who(actor)}. The detach starts now; "
            "updates follow in this thread."
        )
    if status is Status.REJECTED:
        note = detail.get("note")
        # On its own line: the first line is the notification text, which is not verbatim.
        extra = f"\nNote: {escape_inline(str(note))}" if note else ""
        # Their approval no longer counts: the card lists them under "Rejected by" only.
        earlier = ", who had approved it earlier" if detail.get("withdrew_approval") else ""
        return _plain(
            f":no_entry_sign: Rejected by {_who(actor)}{earlier}. Nothing was changed.{extra}"
        )
    if status is Status.EXPIRED:
        return _plain(
            ":alarm_clock: Expired: nobody approved this request in time. Nothing was changed; "
            "run `/eni detach` again if it is still needed."
        )
    if status is Status.CANCELLED:
        return _plain(f":heavy_multiplication_x: Cancelled by {_who(actor)}. Nothing was changed.")
    if status is Status.EXECUTING:
        return _plain(
            f":repeat: Retry requested by {_who(actor)}: the bot checks the ENI and sends "
            "the detach again."
        )
    if status is Status.DETACHING:
        return _detaching(request, detail)
    if status is Status.DETACHED:
        return _plain(
            f":large_green_circle: Available: {code(request.eni_id)} is detached from "
            f"{code(request.instance_id)}. Done."
        )
    if status is Status.STUCK:
        return _stuck(request, detail, rid)
    if status is Status.FAILED:
        return _failed(request, detail)
    return _plain(f"Status: {status_words(status)}")


def _detaching(request: DetachRequest, detail: Mapping[str, Any]) -> Rendered:
    ecs_id = detail.get("ecs_request_id")
    ref = f" (ECS request ID {code(str(ecs_id))})" if ecs_id else ""
    if detail.get("reconciled"):
        return _plain(
            f":arrows_counterclockwise: Detach sent{ref}; Alibaba Cloud confirms it is under way. "
            f"Status: Detaching. The bot checked the ENI before sending anything again."
        )
    return _plain(
        f":arrows_counterclockwise: Detach sent to Alibaba Cloud{ref}. Status: Detaching; "
        "the bot watches the ENI and reports here when it is Available."
    )


def _duration(seconds: float) -> str:
    """ "40 s", "5 min", "2 h": how long, in the unit a person would say."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def _stuck(request: DetachRequest, detail: Mapping[str, Any], rid: str) -> Rendered:
    text = (
        f":warning: Stuck: {code(request.eni_id)} has been Detaching for about "
        f"{_duration(float(detail.get('stuck_for_seconds') or 0))}."
        "\n" + _STUCK_GUIDANCE.format(rid=rid, instance=code(request.instance_id))
    )
    blocks = [
        _section(text),
        {
            "type": "actions",
            "block_id": f"retry:{rid}",
            "elements": [_button("Re-initiate detach", ActionId.RETRY, rid, style="primary")],
        },
    ]
    return Rendered(text=_fallback(text), blocks=blocks)


def _failed(request: DetachRequest, detail: Mapping[str, Any]) -> Rendered:
    err = str(detail.get("error_code") or request.error_code or "Unknown")
    ecs_id = detail.get("ecs_request_id") or request.ecs_request_id
    message = detail.get("error_message") or request.error_message
    lines = [f":x: Failed: {code(err)}"]
    if err in _OWN_CODES:
        lines.append(escape(_OWN_CODES[err]))
        if message:
            lines.append(escape_inline(str(message)))
    else:
        entry = lookup(err)
        lines.append(f"*What it means:* {escape(entry.meaning)}")
        lines.append(f"*What to do:* {escape(entry.remedy)}")
        if message:
            lines.append(f"Alibaba Cloud said: {escape_inline(str(message))}")
    lines.append(f"ECS request ID: {code(str(ecs_id)) if ecs_id else '_none (no call accepted)_'}")
    return _plain("\n".join(lines))


# Failure codes the bot itself assigns (not ECS codes), with their plain-words meaning.
_OWN_CODES: Mapping[str, str] = {
    "EniGone": "The network interface no longer exists, so there is nothing to detach.",
    "WorldChanged": "The ENI or instance changed since the request was approved; "
    "the bot did not detach anything. Check the ENI and request again if still needed.",
}


# ---------------------------------------------------------------------------- incident channel


def incident_summary(payload: Mapping[str, Any], request_id: int) -> Rendered:
    """One line for the incident channel: request ID, ENI, instance, outcome."""
    return _plain(_summary_line(payload, request_id))


def digest(items: Sequence[tuple[int, Mapping[str, Any]]]) -> Rendered:
    """Several finished requests in one post (bursts), one line each, oldest first."""
    shown = list(items)[:DIGEST_MAX_ITEMS]
    counts: dict[str, int] = {}
    for _, p in shown:
        counts[str(p.get("status"))] = counts.get(str(p.get("status")), 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    head = f":package: {len(shown)} ENI detach requests finished ({tally})"
    blocks: list[dict[str, Any]] = [_section(f"*{head}*")]
    lines = [_summary_line(p, rid) for rid, p in shown]
    chunk: list[str] = []
    for line in lines:
        if len(chunk) >= _LINES_PER_SECTION or sum(len(x) + 1 for x in chunk) + len(line) > (
            _SECTION_LIMIT
        ):
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return Rendered(text=head, blocks=blocks[:50])


def _summary_line(payload: Mapping[str, Any], request_id: int) -> str:
    status = Status(str(payload.get("status")))
    eni = str(payload.get("eni_id") or "?")
    instance = str(payload.get("instance_id") or "?")
    region = str(payload.get("region") or "?")
    line = (
        f"{_STATUS_EMOJI[status]} Request #{request_id}: {code(eni)} on {code(instance)} "
        f"({escape_inline(region, limit=40)}) — {status_words(status)}"
    )
    if status is Status.FAILED and payload.get("error_code"):
        line += f", {code(str(payload['error_code']))}"
    if payload.get("ecs_request_id"):
        line += f", ECS request ID {code(str(payload['ecs_request_id']))}"
    return line


# ---------------------------------------------------------------------------- helpers


def _who(actor: str) -> str:
    if actor.startswith("system:"):
        return "the bot"
    return mention(actor) if actor else "someone"


def _plain(text: str) -> Rendered:
    return Rendered(text=_fallback(text), blocks=[_section(text)])


def _fallback(text: str) -> str:
    """Notification text: the first line, without emoji codes."""
    first = text.split("\n", 1)[0]
    words = [w for w in first.split(" ") if not (w.startswith(":") and w.endswith(":"))]
    return " ".join(words)[:300]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text[:_SECTION_LIMIT])}


def _field(label: str, value: str) -> dict[str, str]:
    return mrkdwn(f"*{label}*\n{value}")


def _button(label: str, action: ActionId, value: str, *, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action.value,
        "value": value,
        "style": style,
    }
