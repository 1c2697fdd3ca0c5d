"""A request of several ENIs: the card's ENI list and progress, its per-ENI and finishing replies.

Every line about one ENI is bounded (an ID, a name cut short, a state), so the card's list of
`CARD_LISTS_AT_MOST` ENIs stays inside one section's 3,000 characters; the full list goes in
the first thread reply (packed into sections by `kit.sections`), which the domain queues when a
request has more ENIs than that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bot.ecs.catalogue import lookup
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.schemas import CARD_LISTS_AT_MOST, LeftOut
from bot.requests.states import Status, TargetStatus
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.left_out import left_out_line
from bot.slack.blocks.text import code, duration, escape, escape_inline
from bot.slack.ids import ActionId

__all__ = [
    "eni_list_reply",
    "eni_section",
    "finishing_reply",
    "instances_of",
    "left_out_lines",
    "progress",
    "started_reply",
    "target_line",
    "target_reply",
]

# How one ENI's outcome reads (the finishing reply, `/eni status`, the card's list).
TARGET_WORDS: Mapping[TargetStatus, str] = {
    TargetStatus.QUEUED: "Waiting",
    TargetStatus.SENDING: "Sending",
    TargetStatus.IN_FLIGHT: "Detaching",
    TargetStatus.DONE: "Available",
    TargetStatus.STUCK: "Stuck",
    TargetStatus.FAILED: "Failed",
    TargetStatus.SKIPPED: "Skipped",
}
_ATTACH_WORDS: Mapping[TargetStatus, str] = {
    TargetStatus.IN_FLIGHT: "Attaching",
    TargetStatus.DONE: "Attached",
}
_LEFT_OUT_SHOWN = 10


def instances_of(request: DetachRequest) -> list[str]:
    """The distinct instances of the request's ENIs, in order."""
    return list(dict.fromkeys(t.instance_id for t in request.targets))


def state_word(target: RequestTarget) -> str:
    """How one ENI's state reads, in its request's operation."""
    if target.operation == "attach" and target.state in _ATTACH_WORDS:
        return _ATTACH_WORDS[target.state]
    return TARGET_WORDS[target.state]


def target_line(target: RequestTarget, *, with_state: bool) -> str:
    """One ENI: ID, its name or private IP (cut short), and where it is when asked."""
    snapshot = target.eni_snapshot or {}
    label = snapshot.get("name") or snapshot.get("private_ip")
    line = code(target.eni_id)
    if label:
        line += f" {escape_inline(str(label), limit=40)}"
    if with_state:
        line += f" · {state_word(target)}"
        if target.state is TargetStatus.FAILED and target.error_code:
            line += f" {code(target.error_code[:60])}"
    return line


def eni_section(request: DetachRequest) -> list[Block]:
    """The card's list: the first `CARD_LISTS_AT_MOST` ENIs, then how many more there are."""
    shown = request.targets[:CARD_LISTS_AT_MOST]
    started = request.state not in (Status.PENDING, Status.APPROVED)
    lines = [target_line(t, with_state=started) for t in shown]
    more = len(request.targets) - len(shown)
    if more:
        lines.append(f"… and {more} more (the full list is the first reply in the thread)")
    return kit.sections(lines)


def left_out_lines(request: DetachRequest) -> list[str]:
    """What the selection found but left out, with the reason (the first few)."""
    out = [
        left_out_line(
            LeftOut(
                eni_id=str(item.get("eni_id")),
                problem=str(item.get("problem")),
                facts=item.get("facts") or {},
            )
        )
        for item in (request.left_out or [])[:_LEFT_OUT_SHOWN]
    ]
    hidden = len(request.left_out or []) - _LEFT_OUT_SHOWN
    if hidden > 0:
        out.append(f"… and {hidden} more")
    return out


def progress(request: DetachRequest) -> str:
    """ "12 of 40 Available", with the failed, stuck and skipped ones counted."""
    counts = Counter(t.state for t in request.targets)
    done = "Attached" if request.operation == "attach" else "Available"
    text = f"{counts[TargetStatus.DONE]} of {len(request.targets)} {done}"
    extra = [
        f"{counts[state]} {TARGET_WORDS[state].lower()}"
        for state in (TargetStatus.FAILED, TargetStatus.STUCK, TargetStatus.SKIPPED)
        if counts[state]
    ]
    return text + (f" ({', '.join(extra)})" if extra else "")


def started_reply(request: DetachRequest) -> str:
    """The request's first call went out."""
    verb = "Attaching" if request.operation == "attach" else "Detaching"
    return (
        f":arrows_counterclockwise: {verb} {len(request.targets)} ENIs, a few at a time. "
        "The card shows the progress; this thread gets a reply for each ENI that fails or is "
        "stuck, and one when all are done."
    )


def finishing_reply(request: DetachRequest) -> Message:
    """Every ENI with its outcome, and the counts."""
    status = request.state
    head = f"{words.emoji(status)} *{words.label(status)}:* {progress(request)}."
    if status is Status.FAILED:
        head += " Each failed ENI has its own reply above with the error and what to do."
    lines = [target_line(t, with_state=True) for t in request.targets]
    return kit.message(head, [kit.section(head), *kit.sections(lines)])


def target_reply(request: DetachRequest, facts: Mapping[str, Any]) -> Message:
    """One ENI of a several-ENI request failed or got stuck: which, why, what to do."""
    eni = code(str(facts.get("eni_id") or "?"))
    state = str(facts.get("target_status") or "")
    if state == TargetStatus.STUCK.value:
        verb = "Attaching" if request.operation == "attach" else "Detaching"
        text = (
            f":warning: Stuck: {eni} has been {verb} for about "
            f"{duration(float(facts.get('stuck_for_seconds') or 0))}.\n"
            f"*What to do:* re-initiate the request's stuck ENIs with the button below (or "
            f"`/eni retry {request.id}`). If one is still stuck after that, restart its "
            "instance and retry again."
        )
        rid = str(request.id)
        retry = kit.button("Re-initiate stuck ENIs", ActionId.RETRY.value, rid, style="primary")
        return kit.note(text, kit.actions(f"retry:{rid}:{facts.get('eni_id')}", retry))
    err = str(facts.get("error_code") or "Unknown")
    lines = [f":x: Failed: {eni}: {code(err)}"]
    if err in words.OWN_FAILURES:
        lines.append(escape(words.OWN_FAILURES[err]))
    else:
        entry = lookup(err, action=words.ecs_action(request.operation))
        lines.append(f"*What it means:* {escape(entry.meaning)}")
        lines.append(f"*What to do:* {escape(words.remedy_once_failed(entry))}")
    message = facts.get("error_message")
    if message:
        lines.append(f"Alibaba Cloud said: {escape_inline(str(message))}")
    ecs_id = facts.get("ecs_request_id")
    lines.append(f"ECS request ID: {code(str(ecs_id)) if ecs_id else '_none (no call accepted)_'}")
    return kit.note("\n".join(lines))


def eni_list_reply(request: DetachRequest) -> Message:
    """The full list of a request too long for its card (its first thread reply)."""
    head = f":clipboard: All {len(request.targets)} ENIs of request #{request.id}:"
    lines = [target_line(t, with_state=False) for t in request.targets]
    return kit.message(head, [kit.section(head), *kit.sections(lines)])


def counts_line(targets: Sequence[RequestTarget]) -> str:
    """ "40 ENIs: 38 Available, 2 failed" (the incident summary, `/eni list`)."""
    counts = Counter(t.state for t in targets)
    parts = [f"{n} {TARGET_WORDS[s].lower()}" for s, n in counts.items()]
    return f"{len(targets)} ENIs: " + ", ".join(parts)
