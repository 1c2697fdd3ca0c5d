"""The one table from a request's state, and from the move into it, to the words people read.

`STATES` has a row for every `Status`: its name for people (the card, `/eni status`, `/eni
list`, App Home and the incident summary all say the same), its emoji, the line a move into it
leaves in the history, and the thread reply that announces it. The two things that happen
without a move (an approval short of the quorum, ECS trouble while polling) and the words for a
failure code sit beside it. Everything ECS sent or a person typed is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.ecs.catalogue import ATTACH, DETACH, CatalogueEntry, Reaction
from bot.ecs.errors import lookup
from bot.requests.models import DetachRequest
from bot.requests.states import Status
from bot.slack.blocks.policy import auto_approved_reply
from bot.slack.blocks.text import code, duration, escape, escape_inline

__all__ = [
    "OWN_FAILURES",
    "STATES",
    "StateWords",
    "approval_history",
    "approval_reply",
    "ecs_call_history",
    "ecs_trouble_history",
    "ecs_trouble_reply",
    "emoji",
    "failure_meaning",
    "history",
    "label",
    "reply",
]

Detail = Mapping[str, Any]


@dataclass(frozen=True)
class StateWords:
    """What people read about one state."""

    label: str  # the state's name ("Detaching", "Available (detached)")
    emoji: str
    # The history line of a move into this state: (who, the move's detail) -> words.
    history: Callable[[str, Detail], str]
    # The thread reply announcing the move: (request, who, detail) -> mrkdwn (may be lines).
    reply: Callable[[DetachRequest, str, Detail], str]


# ---------------------------------------------------------------------------- history lines


def _requested(who: str, detail: Detail) -> str:
    rule = detail.get("rule")
    under = f" under rule {escape_inline(str(rule), limit=80)}" if rule else ""
    return f"Requested by {who}{under}"


def _approved(who: str, detail: Detail) -> str:
    if detail.get("auto_approved"):
        return f"Approved automatically by rule {escape_inline(str(detail.get('rule')), limit=80)}"
    count = f" ({detail['approvals']} of {detail['needed']})" if "approvals" in detail else ""
    return f"Approved by {who}{count}"


def _rejected(who: str, detail: Detail) -> str:
    note = f": {escape_inline(str(detail['note']), limit=200)}" if detail.get("note") else ""
    earlier = " (withdrawing their approval)" if detail.get("withdrew_approval") else ""
    return f"Rejected by {who}{earlier}{note}"


def _cancelled(who: str, _: Detail) -> str:
    return f"Cancelled by {who}"


def _expired(_who: str, _: Detail) -> str:
    return "Expired: no decision in time"


def _executing(who: str, detail: Detail) -> str:
    return f"Re-initiated by {who}" if detail.get("retry") else "Execution started"


def _detaching(_who: str, detail: Detail) -> str:
    ids = _ecs_id(detail, ", ECS request ID {}")
    how = " (confirmed by a Describe)" if detail.get("reconciled") else ""
    return f"Detaching: ECS accepted the detach{ids}{how}"


def _detached(_who: str, detail: Detail) -> str:
    return f"Detached: the ENI is {escape_inline(str(detail.get('eni_status', 'Available')))}"


def _stuck(_who: str, detail: Detail) -> str:
    seconds = detail.get("stuck_for_seconds")
    after = f" after {seconds} s" if seconds is not None else ""
    state = escape_inline(str(detail.get("eni_status") or "Detaching"), limit=20)
    return f"Stuck: still {state}{after}"


def _attaching(_who: str, detail: Detail) -> str:
    ids = _ecs_id(detail, ", ECS request ID {}")
    how = " (confirmed by a Describe)" if detail.get("reconciled") else ""
    return f"Attaching: ECS accepted the attach{ids}{how}"


def _attached(_who: str, detail: Detail) -> str:
    return f"Attached: the ENI is {escape_inline(str(detail.get('eni_status', 'InUse')))}"


def _failed(_who: str, detail: Detail) -> str:
    if "error_code" not in detail and detail.get("enis"):
        return f"Failed: not every one of its {int(detail['enis'])} ENIs finished (see each ENI)"
    parts = [f"Failed: {code(str(detail.get('error_code', '?')))}"]
    if detail.get("ecs_request_id"):
        parts.append(f"ECS request ID {code(str(detail['ecs_request_id']))}")
    if detail.get("error_message"):
        parts.append(escape_inline(str(detail["error_message"]), limit=200))
    return ", ".join(parts)


def _ecs_id(detail: Detail, form: str) -> str:
    found = detail.get("ecs_request_id")
    return form.format(code(str(found))) if found else ""


# ---------------------------------------------------------------------------- thread replies


def _pending_reply(request: DetachRequest, _who: str, _: Detail) -> str:
    # A request is pending from its card on; no move into it is announced in its thread.
    return f"Status: {STATES[Status.PENDING].label}"


def _approved_reply(request: DetachRequest, who: str, detail: Detail) -> str:
    if detail.get("auto_approved"):
        return auto_approved_reply(str(detail.get("rule")))
    return (
        f":white_check_mark: Approved by {who}. The {request.operation} starts now; "
        "updates follow in this thread."
    )


def _rejected_reply(_: DetachRequest, who: str, detail: Detail) -> str:
    note = detail.get("note")
    # On its own line: the first line is the notification text, which is not verbatim.
    extra = f"\nNote: {escape_inline(str(note))}" if note else ""
    # Their approval no longer counts: the card lists them under "Rejected by" only.
    earlier = ", who had approved it earlier" if detail.get("withdrew_approval") else ""
    return f":no_entry_sign: Rejected by {who}{earlier}. Nothing was changed.{extra}"


def _expired_reply(_: DetachRequest, _who: str, _detail: Detail) -> str:
    return (
        ":alarm_clock: Expired: nobody approved this request in time. Nothing was changed; "
        "run `/eni detach` again if it is still needed."
    )


def _cancelled_reply(_: DetachRequest, who: str, _detail: Detail) -> str:
    return f":heavy_multiplication_x: Cancelled by {who}. Nothing was changed."


def _executing_reply(request: DetachRequest, who: str, _detail: Detail) -> str:
    # approved -> executing posts no reply; only a retry (stuck -> executing) is announced.
    return (
        f":repeat: Retry requested by {who}: the bot checks the ENI and sends the "
        f"{request.operation} again."
    )


def _detaching_reply(_: DetachRequest, _who: str, detail: Detail) -> str:
    ref = _ecs_id(detail, " (ECS request ID {})")
    if detail.get("reconciled"):
        return (
            f":arrows_counterclockwise: Detach sent{ref}; Alibaba Cloud confirms it is under way. "
            f"Status: Detaching. The bot checked the ENI before sending anything again."
        )
    return (
        f":arrows_counterclockwise: Detach sent to Alibaba Cloud{ref}. Status: Detaching; "
        "the bot watches the ENI and reports here when it is Available."
    )


def _detached_reply(request: DetachRequest, _who: str, _detail: Detail) -> str:
    return (
        f":large_green_circle: Available: {code(request.target.eni_id)} is detached from "
        f"{code(request.target.instance_id)}. Done."
    )


def _attaching_reply(request: DetachRequest, _who: str, detail: Detail) -> str:
    ref = _ecs_id(detail, " (ECS request ID {})")
    return (
        f":link: Attach sent to Alibaba Cloud{ref}. Status: Attaching; the bot watches the ENI "
        f"and reports here when it is InUse on {code(request.target.instance_id)}."
    )


def _attached_reply(request: DetachRequest, _who: str, _detail: Detail) -> str:
    return (
        f":large_blue_circle: Attached: {code(request.target.eni_id)} is InUse on "
        f"{code(request.target.instance_id)}. Done."
    )


def _stuck_reply(request: DetachRequest, _who: str, detail: Detail) -> str:
    if request.operation == "attach":
        return (
            f":warning: Stuck: {code(request.target.eni_id)} has been Attaching to "
            f"{code(request.target.instance_id)} for about "
            f"{duration(float(detail.get('stuck_for_seconds') or 0))}.\n"
            f"*What to do:* wait a little longer, or restart the instance "
            f"{code(request.target.instance_id)}, which completes or fails the attach; then "
            f"the button below (or `/eni retry {request.id}`) looks at the ENI again and sends "
            "the attach again only if it is Available."
        )
    return (
        f":warning: Stuck: {code(request.target.eni_id)} has been Detaching for about "
        f"{duration(float(detail.get('stuck_for_seconds') or 0))}.\n"
        f"*What to do:* re-initiate the detach with the button below (or `/eni retry "
        f"{request.id}`). If it is still stuck after that, restart the instance "
        f"{code(request.target.instance_id)} and retry again."
    )


def _failed_reply(request: DetachRequest, _who: str, detail: Detail) -> str:
    err = str(detail.get("error_code") or request.target.error_code or "Unknown")
    ecs_id = detail.get("ecs_request_id") or request.target.ecs_request_id
    message = detail.get("error_message") or request.target.error_message
    lines = [f":x: Failed: {code(err)}"]
    if err in OWN_FAILURES:
        lines.append(escape(OWN_FAILURES[err]))
        if message:
            lines.append(escape_inline(str(message)))
    else:
        entry = lookup(err, action=ecs_action(request.operation))
        lines.append(f"*What it means:* {escape(entry.meaning)}")
        lines.append(f"*What to do:* {escape(remedy_once_failed(entry))}")
        if message:
            lines.append(f"Alibaba Cloud said: {escape_inline(str(message))}")
    lines.append(f"ECS request ID: {code(str(ecs_id)) if ecs_id else '_none (no call accepted)_'}")
    return "\n".join(lines)


def remedy_once_failed(entry: CatalogueEntry) -> str:
    """The remedy, for a request that has failed: a busy code's "the bot waits and tries
    again" is over once the bot gave up, so say what people can do instead."""
    if entry.reaction is not Reaction.RETRY_LATER:
        return entry.remedy
    return (
        "ECS stayed busy for longer than the bot waits (ENIBOT_STUCK_AFTER). Check in the ECS "
        "console what else is changing this ENI or instance, wait for it to finish, then ask "
        "again."
    )


# ---------------------------------------------------------------------------- the table


STATES: Mapping[Status, StateWords] = {
    Status.PENDING: StateWords(
        "Pending approval", ":hourglass_flowing_sand:", _requested, _pending_reply
    ),
    Status.APPROVED: StateWords("Approved", ":white_check_mark:", _approved, _approved_reply),
    Status.EXECUTING: StateWords("Executing", ":gear:", _executing, _executing_reply),
    Status.DETACHING: StateWords(
        "Detaching", ":arrows_counterclockwise:", _detaching, _detaching_reply
    ),
    Status.DETACHED: StateWords(
        "Available (detached)", ":large_green_circle:", _detached, _detached_reply
    ),
    Status.ATTACHING: StateWords("Attaching", ":link:", _attaching, _attaching_reply),
    Status.ATTACHED: StateWords("Attached", ":large_blue_circle:", _attached, _attached_reply),
    Status.STUCK: StateWords("Stuck", ":warning:", _stuck, _stuck_reply),
    Status.FAILED: StateWords("Failed", ":x:", _failed, _failed_reply),
    Status.REJECTED: StateWords("Rejected", ":no_entry_sign:", _rejected, _rejected_reply),
    Status.EXPIRED: StateWords("Expired", ":alarm_clock:", _expired, _expired_reply),
    Status.CANCELLED: StateWords(
        "Cancelled", ":heavy_multiplication_x:", _cancelled, _cancelled_reply
    ),
}

# Failure codes the bot itself assigns (not ECS codes), with their plain-words meaning.
OWN_FAILURES: Mapping[str, str] = {
    "EniGone": "The network interface no longer exists, so there is nothing to detach.",
    "WorldChanged": "The ENI or instance changed since the request was approved; "
    "the bot did not change anything. Check the ENI and request again if still needed.",
    "AttachFellBack": "ECS did not attach it: the ENI went back to Available. Check that the "
    "instance type has a free ENI slot and that the instance is in the ENI's VPC and zone, "
    "then ask again.",
}


def ecs_action(operation: str) -> str:
    """The ECS action a request's operation calls (the catalogue words some codes per action)."""
    return ATTACH if operation == "attach" else DETACH


def label(status: Status) -> str:
    """The state in words people read ("Detaching", "Available (detached)")."""
    return STATES[status].label


def emoji(status: Status) -> str:
    """The state's emoji, as the card's status line and the incident summary show it."""
    return STATES[status].emoji


def history(target: Status | None, who: str, detail: Detail) -> str:
    """The history line of a move into `target` (None: a state this bot does not know)."""
    if target is None:
        return "Updated"
    return STATES[target].history(who, detail)


def reply(request: DetachRequest, target: Status, who: str, detail: Detail) -> str:
    """The thread reply that announces a move into `target`."""
    return STATES[target].reply(request, who, detail)


def failure_meaning(error_code: str, operation: str = "detach") -> str:
    """What a failure code means, for the bot's own codes as for ECS's (escaped)."""
    own = OWN_FAILURES.get(error_code)
    meaning = own if own is not None else lookup(error_code, action=ecs_action(operation)).meaning
    return escape(meaning)


# ---------------------------------------------------------------------------- without a move


def approval_history(who: str, detail: Detail) -> str:
    """The history line of an approval that did not yet reach the quorum."""
    return f"Approval by {who} ({detail.get('approvals', '?')} of {detail.get('needed', '?')})"


def approval_reply(who: str, detail: Detail) -> str:
    """The thread reply for an approval short of the quorum: how many more are needed."""
    got, needed = detail.get("approvals", 1), detail.get("needed", 1)
    return (
        f":ballot_box_with_check: Approval {got} of {needed} by {who}; "
        f"waiting for {int(needed) - int(got)} more."
    )


def ecs_trouble_history(detail: Detail) -> str:
    """The history line of ECS not answering while the poller checks the ENI."""
    return f"ECS not answering while checking: {code(str(detail.get('error_code', '?')))}"


def ecs_trouble_reply(detail: Detail) -> str:
    """The one thread note that ECS is not answering reliably (the bot keeps retrying)."""
    err = str(detail.get("error_code") or "unknown")
    return (
        f":satellite_antenna: Alibaba Cloud is not answering reliably right now "
        f"({code(err)}). The bot keeps retrying with backoff; nothing to do for now. "
        "(This note is posted once.)"
    )


def ecs_call_history(detail: Detail) -> str:
    """The history line of one ECS call: action, answer code, ECS request ID, its message."""
    ids = _ecs_id(detail, ", ECS request ID {}")
    message = detail.get("message")
    said = f" — {escape_inline(str(message), limit=200)}" if message else ""
    return (
        f"ECS {code(str(detail.get('action', '?')))} → "
        f"{code(str(detail.get('code', '?')))}{ids}{said}"
    )
