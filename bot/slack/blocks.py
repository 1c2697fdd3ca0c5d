"""Block Kit for what the listeners show: help, refusals, confirmations, the modal, App Home,
and the `/eni status` and `/eni list` answers.

Pure functions of domain values, so every message can be checked without Slack. Text a person
typed (reasons) or ECS sent (messages) is escaped before it reaches mrkdwn; IDs go in code spans.
The approval card and thread replies are the relay's (`bot.slack.messages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.ecs.catalogue import Reaction
from bot.ecs.errors import EcsError
from bot.requests.commands import MAX_REASON_LENGTH, USAGE, CommandError, ListScope, Subcommand
from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.rules import Problem
from bot.requests.service import Decision, Outcome, Refusal
from bot.requests.states import Status
from bot.slack.ids import ActionId, CallbackId, ModalField
from bot.slack.messages import status_words
from bot.slack.preflight import Refused
from bot.slack.text import code, escape, escape_inline, mention, mrkdwn

__all__ = [
    "HOME_MINE_LIMIT",
    "HOME_PENDING_LIMIT",
    "Reply",
    "command_error",
    "decision_reply",
    "detach_modal",
    "help_message",
    "home_view",
    "internal_error",
    "list_message",
    "modal_metadata",
    "not_an_approver",
    "preflight_refusal",
    "request_accepted",
    "status_message",
]

SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
MAX_MESSAGE_BLOCKS = 50
MAX_AUDIT_LINES = 60
HOME_PENDING_LIMIT = 20
HOME_MINE_LIMIT = 10


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer: fallback text for notifications, and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `respond()` / `chat_postEphemeral()`."""
        return {"text": self.text, "blocks": self.blocks}


# ---------------------------------------------------------------------------- small pieces


def _usage(subcommand: Subcommand) -> str:
    """A usage line as inline code; `<eni-id>` is escaped so Slack does not read it as a link."""
    return code(USAGE[subcommand])


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text[:SECTION_LIMIT])}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text[:SECTION_LIMIT])]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _reply(text: str, *more: dict[str, Any]) -> Reply:
    first = text.split("\n", 1)[0]
    return Reply(text=_strip_marks(first)[:300], blocks=[_section(text), *more])


def _strip_marks(text: str) -> str:
    words = [w for w in text.split(" ") if not (w.startswith(":") and w.endswith(":"))]
    return " ".join(words).replace("*", "")


def _chunked_sections(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as the 3000-character limit allows."""
    sections: list[dict[str, Any]] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(_section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        sections.append(_section(current))
    return sections


def when(at: datetime) -> str:
    """A time every reader sees in their own time zone, with a UTC fallback."""
    epoch = int(at.timestamp())
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time_secs}}|{fallback}>"


def _rid(request_id: int) -> str:
    return f"#{request_id}"


def _who(actor: str) -> str:
    if actor.startswith("system:"):
        return "the bot"
    return mention(actor) if actor else "someone"


def _where(channel_id: str) -> str:
    return f"<#{channel_id}>" if channel_id[:1] in ("C", "G") and channel_id.isalnum() else "DM"


# ---------------------------------------------------------------------------- help and errors


def help_message() -> Reply:
    """`/eni` and `/eni help`: every form with one line on what it does."""
    lines = [
        f"{_usage(Subcommand.DETACH)} — ask for an ENI to be detached (approvers decide in "
        "this channel). IDs are recognised by shape in any order; the rest is the reason. "
        "No instance: the ENI's current one. No region: the default region.",
        "`/eni detach` — the same, in a form.",
        f"{_usage(Subcommand.STATUS)} — a request's state and full history.",
        f"{_usage(Subcommand.LIST)} — requests, newest first (default: open ones).",
        f"{_usage(Subcommand.CANCEL)} — withdraw a pending or approved request "
        "(its requester or an approver).",
        f"{_usage(Subcommand.RETRY)} — re-initiate a detach that is stuck (approvers).",
    ]
    example = (
        "Example: `/eni detach eni-bp1d7r2k9m4x6c3v5n i-bp1a3f9k2m7x4q8w6e cn-hangzhou "
        "moving the app network to the new node`"
    )
    return Reply(
        text="How to use /eni",
        blocks=[
            _section("*How to use `/eni`*\n" + "\n".join(f"• {line}" for line in lines)),
            _context(escape(example)),
        ],
    )


def command_error(error: CommandError) -> Reply:
    """A line that did not parse: the problem, then the right form (nothing was stored)."""
    usage = "\n".join(code(form) for form in error.usage.splitlines())
    return _reply(
        f":warning: {escape(error.problem)}\n*Use:* {usage}",
        _context("Nothing was stored. `/eni help` lists every command."),
    )


def internal_error(request_id: int | None = None) -> Reply:
    """Something broke on our side; say what is known and what to do."""
    about = f" for request {_rid(request_id)}" if request_id else ""
    return _reply(
        f":x: Something went wrong on the bot's side{about}; nothing you did caused it. "
        "Try again in a minute; if it keeps happening, tell the bot's operators."
    )


# ---------------------------------------------------------------------------- detach


def checking(eni_id: str, region: str) -> Reply:
    """The immediate answer to `/eni detach …` while pre-flight asks ECS."""
    return _reply(f":mag: Checking {code(eni_id)} in {code(region)}…")


def preflight_refusal(refused: Refused) -> Reply:
    """Why the request was not created, and how to get it right."""
    cmd = refused.command
    eni, region = code(cmd.eni_id), code(cmd.region)
    facts = refused.facts
    problem = refused.problem
    fix: str
    if problem is Problem.NOT_A_REQUESTER:
        what = "You are not on the list of people who may request ENI detaches."
        fix = "Ask one of the bot's approvers to add you (or your user group) to ENIBOT_REQUESTERS."
    elif problem is Problem.REGION_NOT_ALLOWED:
        allowed = ", ".join(code(r) for r in facts.get("allowed", []))
        what = f"This bot does not act in region {region}."
        fix = f"Use one of the allowed regions: {allowed}."
    elif problem is Problem.OPEN_REQUEST:
        return _open_request_refusal(refused)
    elif problem is Problem.ENI_NOT_FOUND:
        what = f"There is no ENI {eni} in region {region}."
        fix = (
            "Check the ID (copy it from the ECS console) and the region; name the region in "
            f"the command if it is not {region}: "
            + code(f"/eni detach {cmd.eni_id} <region-id> <reason>")
            + "."
        )
    elif problem is Problem.PRIMARY_ENI:
        what = f"{eni} is the primary ENI of its instance; a primary ENI cannot be detached."
        fix = "Pick a secondary ENI of the instance, or release the instance instead."
    elif problem is Problem.MEMBER_ENI:
        trunk = facts.get("trunk_id")
        of_trunk = f" of trunk ENI {code(str(trunk))}" if trunk else ""
        what = f"{eni} is a member ENI{of_trunk}; members leave their trunk, not an instance."
        fix = "Remove it through the container service that manages the trunk."
    elif problem is Problem.SERVICE_MANAGED:
        what = f"{eni} is managed by another Alibaba Cloud service."
        fix = "Detach it through the service that owns it (for example its load balancer)."
    elif problem is Problem.NOT_ATTACHED:
        what = f"{eni} is not attached to any instance (it is {code(str(facts.get('status')))})."
        fix = "There is nothing to detach; check the ENI ID."
    elif problem is Problem.ATTACHED_ELSEWHERE:
        other = code(str(facts.get("attached_to")))
        what = f"{eni} is attached to {other}, not to {code(cmd.instance_id or '-')}."
        fix = f"Check the instance ID, or leave it out to use {other}."
    elif problem is Problem.ENI_STATE:
        what = f"{eni} is {code(str(facts.get('status')))}; only an InUse ENI can be detached."
        fix = "Wait until the ENI is InUse, then ask again."
    elif problem is Problem.INSTANCE_NOT_FOUND:
        what = f"The instance {code(str(facts.get('instance_id')))} was not found in {region}."
        fix = "Check the instance ID and region."
    elif problem is Problem.INSTANCE_STATE:
        state = code(str(facts.get("instance_status")))
        what = f"Instance {code(str(facts.get('instance_id')))} is {state}."
        fix = "ENIs can be detached only while the instance is Running or Stopped; try again then."
    else:
        return ecs_error_reply(refused.error, eni_id=cmd.eni_id, region=cmd.region)
    return _reply(
        f":no_entry: {what}\n*How to fix:* {fix}",
        _context("Nothing was stored and nothing was posted to the channel."),
    )


def _open_request_refusal(refused: Refused) -> Reply:
    existing = refused.existing
    assert existing is not None
    ref = existing.ref
    if existing.permalink:
        where = f"<{existing.permalink}|its card>"
    elif ref.card_ts:
        where = f"its card in {_where(ref.channel_id)} (message {code(ref.card_ts)})"
    else:
        where = f"its card in {_where(ref.channel_id)} (being posted)"
    status = status_words(Status(ref.status))
    what = (
        f"{code(ref.eni_id)} already has an open request: *{_rid(ref.id)}*, opened by "
        f"{mention(ref.requester_id)} ({status}). See {where}."
    )
    fix = (
        f"Follow that request (`/eni status {ref.id}`), or cancel it first "
        f"(`/eni cancel {ref.id}`) if it should not go ahead."
    )
    return _reply(
        f":no_entry: {what}\n*How to fix:* {fix}",
        _context("Nothing was stored and nothing was posted to the channel."),
    )


def ecs_error_reply(error: EcsError | None, *, eni_id: str, region: str) -> Reply:
    """ECS refused or did not answer during pre-flight: plain words, code and request ID."""
    if error is None:
        return internal_error()
    entry = error.entry
    # The catalogue's remedy for throttling and outages describes the workers' retries; at
    # pre-flight nothing is stored yet, so the person is the one to try again.
    remedy = (
        "Nothing was stored; try the same command again in a minute."
        if entry.reaction in (Reaction.RETRY_NOW, Reaction.CHECK_FIRST)
        else entry.remedy
    )
    ids = f"ECS error {code(error.code)}"
    if error.request_id:
        ids += f", ECS request ID {code(error.request_id)}"
    return _reply(
        f":x: Could not check {code(eni_id)} in {code(region)}: {escape(entry.meaning)}\n"
        f"*What to do:* {escape(remedy)}",
        _context(f"{ids}. Nothing was stored."),
    )


def request_accepted(request: DetachRequest) -> Reply:
    """The requester's confirmation: the request ID and where approvers will decide."""
    return _reply(
        f":white_check_mark: Request *{_rid(request.id)}* to detach {code(request.eni_id)} from "
        f"{code(request.instance_id)} in {code(request.region)} is waiting for approval; its "
        f"card is being posted in {_where(request.channel_id)}.",
        _context(
            f"Follow it with `/eni status {request.id}`; withdraw it with "
            f"`/eni cancel {request.id}`."
        ),
    )


def already_requested(request_id: int, eni_id: str) -> Reply:
    """A repeated delivery of a command that already created this request."""
    return _reply(
        f":information_source: Your request *{_rid(request_id)}* for {code(eni_id)} is already "
        "recorded; this repeat changed nothing.",
        _context(f"Follow it with `/eni status {request_id}`."),
    )


# ---------------------------------------------------------------------------- decisions


_REFUSAL_WORDS: Mapping[Refusal, str] = {
    Refusal.NOT_FOUND: "There is no request {rid}.",
    Refusal.OWN_REQUEST: "You cannot approve your own request {rid}; another approver must.",
    Refusal.ALREADY_DECIDED_BY_YOU: "You have already decided on request {rid}.",
    Refusal.NOT_PENDING: "Request {rid} is no longer waiting for a decision (it is {state}).",
    Refusal.EXPIRED: "Request {rid} expired before it was approved; ask for a new one.",
    Refusal.NOT_ALLOWED: "Only the requester or an approver can cancel request {rid}.",
    Refusal.NOT_CANCELLABLE: (
        "Request {rid} can no longer be cancelled (it is {state}); only a pending or approved"
        " request can be."
    ),
    Refusal.NOT_STUCK: "Request {rid} is not stuck (it is {state}); there is nothing to retry.",
}


def decision_reply(decision: Decision, request_id: int) -> Reply:
    """What a click, `/eni cancel` or `/eni retry` achieved, or why it changed nothing."""
    rid = _rid(request_id)
    request = decision.request
    if decision.outcome is Outcome.REFUSED:
        refusal = decision.refusal or Refusal.NOT_PENDING
        state = status_words(request.state) if request is not None else "unknown"
        words = _REFUSAL_WORDS[refusal].format(rid=f"*{rid}*", state=state)
        return _reply(f":no_entry: {words}", _context("Nothing was changed."))
    if decision.outcome is Outcome.RECORDED:
        return _reply(
            f":ballot_box_with_check: Your approval of *{rid}* is recorded: "
            f"{decision.approvals} of {decision.needed}; waiting for another approver."
        )
    done = {
        Outcome.APPROVED: "approved; the detach starts now",
        Outcome.REJECTED: "rejected",
        Outcome.CANCELLED: "cancelled",
        Outcome.RETRYING: "re-initiated; the detach is sent again",
    }[decision.outcome]
    return _reply(f":white_check_mark: Request *{rid}* {done}.")


def not_an_approver(request_id: int | None, action: str) -> Reply:
    """A click or command only approvers may make."""
    about = f" request *{_rid(request_id)}*" if request_id else ""
    return _reply(
        f":no_entry: Only approvers can {action}{about}.",
        _context("Nothing was changed. Approvers are listed in ENIBOT_APPROVERS."),
    )


def bad_button_value() -> Reply:
    """A click whose value is not a request ID (an old or altered message)."""
    return _reply(":no_entry: That button does not name a request; nothing was changed.")


# ---------------------------------------------------------------------------- status and list


def status_message(
    request: DetachRequest,
    history: Sequence[RequestEvent],
    approvers: Sequence[str] = (),
    rejecters: Sequence[str] = (),
) -> Reply:
    """`/eni status`: the request now, and every step of its history with times and IDs."""
    state = request.state
    head = (
        f"*Request {_rid(request.id)}* — {status_words(state)}\n"
        f"Detach {code(request.eni_id)} from {code(request.instance_id)} in "
        f"{code(request.region)}, requested by {mention(request.requester_id)} in "
        f"{_where(request.channel_id)}.\n*Reason:* {escape_inline(request.reason)}"
    )
    extra: list[str] = []
    if state is Status.PENDING:
        extra.append(f"Expires {when(request.expires_at)}.")
    # Each approver's decision as it stands, as the card shows it; the history has every click.
    if approvers:
        extra.append("Approved by " + ", ".join(mention(a) for a in approvers) + ".")
    if rejecters:
        extra.append("Rejected by " + ", ".join(mention(a) for a in rejecters) + ".")
    if request.ecs_request_id:
        extra.append(f"Last ECS request ID {code(request.ecs_request_id)}.")
    if request.error_code:
        extra.append(
            f"Error {code(request.error_code)}: "
            f"{escape_inline(request.error_message or '', limit=300)}"
        )
    if extra:
        head += "\n" + "\n".join(extra)
    lines = [audit_line(e) for e in history]
    if len(lines) > MAX_AUDIT_LINES:
        hidden = len(lines) - MAX_AUDIT_LINES
        lines = [
            *lines[: MAX_AUDIT_LINES // 2],
            f"… {hidden} more …",
            *lines[-MAX_AUDIT_LINES // 2 :],
        ]
    blocks = [_section(head), {"type": "divider"}, _section("*History*")]
    blocks += _chunked_sections(lines or ["_no events recorded_"])
    text = f"Request #{request.id}: {status_words(state)}"
    return Reply(text=text, blocks=blocks[:MAX_MESSAGE_BLOCKS])


def audit_line(event: RequestEvent) -> str:
    """One history entry: when, who, what (ECS calls with their request IDs)."""
    detail: Mapping[str, Any] = event.detail or {}
    who = _who(event.actor)
    stamp = when(event.at)
    if event.kind == "ecs_call":
        rid = detail.get("ecs_request_id")
        ids = f", ECS request ID {code(str(rid))}" if rid else ""
        message = detail.get("message")
        said = f" — {escape_inline(str(message), limit=200)}" if message else ""
        return (
            f"{stamp} · ECS {code(str(detail.get('action', '?')))} → "
            f"{code(str(detail.get('code', '?')))}{ids}{said}"
        )
    if event.kind == "approval":
        return (
            f"{stamp} · Approval by {who} "
            f"({detail.get('approvals', '?')} of {detail.get('needed', '?')})"
        )
    if event.kind == "ecs_trouble":
        return (
            f"{stamp} · ECS not answering while checking: "
            f"{code(str(detail.get('error_code', '?')))}"
        )
    return f"{stamp} · {_transition_words(_status_or_none(event.to_status), who, detail)}"


def _status_or_none(value: str | None) -> Status | None:
    try:
        return Status(value) if value is not None else None
    except ValueError:
        return None


def _transition_words(target: Status | None, who: str, detail: Mapping[str, Any]) -> str:
    if target is Status.PENDING:
        return f"Requested by {who}"
    if target is Status.APPROVED:
        count = f" ({detail['approvals']} of {detail['needed']})" if "approvals" in detail else ""
        return f"Approved by {who}{count}"
    if target is Status.REJECTED:
        note = f": {escape_inline(str(detail['note']), limit=200)}" if detail.get("note") else ""
        earlier = " (withdrawing their approval)" if detail.get("withdrew_approval") else ""
        return f"Rejected by {who}{earlier}{note}"
    if target is Status.CANCELLED:
        return f"Cancelled by {who}"
    if target is Status.EXPIRED:
        return "Expired: no decision in time"
    if target is Status.EXECUTING:
        return f"Re-initiated by {who}" if detail.get("retry") else "Execution started"
    if target is Status.DETACHING:
        rid = detail.get("ecs_request_id")
        ids = f", ECS request ID {code(str(rid))}" if rid else ""
        how = " (confirmed by a Describe)" if detail.get("reconciled") else ""
        return f"Detaching: ECS accepted the detach{ids}{how}"
    if target is Status.DETACHED:
        return f"Detached: the ENI is {escape_inline(str(detail.get('eni_status', 'Available')))}"
    if target is Status.STUCK:
        seconds = detail.get("stuck_for_seconds")
        after = f" after {seconds} s" if seconds is not None else ""
        return f"Stuck: still Detaching{after}"
    if target is Status.FAILED:
        parts = [f"Failed: {code(str(detail.get('error_code', '?')))}"]
        if detail.get("ecs_request_id"):
            parts.append(f"ECS request ID {code(str(detail['ecs_request_id']))}")
        if detail.get("error_message"):
            parts.append(escape_inline(str(detail["error_message"]), limit=200))
        return ", ".join(parts)
    return "Updated"


def not_found(what: str) -> Reply:
    """`/eni status` of something the bot has no record of."""
    return _reply(
        f":grey_question: {what}",
        _context("`/eni list` shows the open requests; `/eni list mine` shows yours."),
    )


_SCOPE_TITLES: Mapping[ListScope, str] = {
    ListScope.MINE: "Your requests",
    ListScope.PENDING: "Requests waiting for approval",
    ListScope.OPEN: "Open requests",
}


def request_line(request: DetachRequest) -> str:
    """One request in a list."""
    return (
        f"*{_rid(request.id)}* · {code(request.eni_id)} · {code(request.region)} · "
        f"{status_words(request.state)} · {mention(request.requester_id)} · "
        f"{when(request.created_at)}"
    )


def list_message(scope: ListScope, requests: Sequence[DetachRequest], limit: int) -> Reply:
    """`/eni list`: newest first, one line each."""
    title = _SCOPE_TITLES[scope]
    if not requests:
        return _reply(f"*{title}:* none.", _context("`/eni list mine|pending|open` to switch."))
    more = " (newest shown)" if len(requests) >= limit else ""
    blocks = [_section(f"*{title}*{more}"), *_chunked_sections(request_line(r) for r in requests)]
    blocks.append(_context(f"{code('/eni status <id>')} shows a request's history."))
    return Reply(text=f"{title}: {len(requests)}", blocks=blocks[:MAX_MESSAGE_BLOCKS])


# ---------------------------------------------------------------------------- the modal


def modal_metadata(channel_id: str) -> str:
    """What travels through the modal: the channel the command came from."""
    return json.dumps({"channel": channel_id}, separators=(",", ":"))


def detach_modal(
    *, allowed_regions: Sequence[str], default_region: str, channel_id: str
) -> dict[str, Any]:
    """The `/eni detach` form: region (allowed ones only), ENI, optional instance, reason."""
    options = [{"text": _plain(region), "value": region} for region in list(allowed_regions)[:100]]
    region_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ModalField.REGION.value,
        "placeholder": _plain("Choose a region"),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == default_region), None)
    if initial is not None:
        region_select["initial_option"] = initial
    return {
        "type": "modal",
        "callback_id": CallbackId.DETACH_MODAL.value,
        "private_metadata": modal_metadata(channel_id),
        "title": _plain("Detach an ENI"),
        "submit": _plain("Check and request"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ModalField.REGION.value,
                "label": _plain("Region"),
                "element": region_select,
            },
            {
                "type": "input",
                "block_id": ModalField.ENI.value,
                "label": _plain("ENI ID"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ModalField.ENI.value,
                    "placeholder": _plain("eni-…"),
                    "max_length": 60,
                },
            },
            {
                "type": "input",
                "block_id": ModalField.INSTANCE.value,
                "optional": True,
                "label": _plain("Instance ID"),
                "hint": _plain("Leave empty to use the instance the ENI is attached to."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ModalField.INSTANCE.value,
                    "placeholder": _plain("i-…"),
                    "max_length": 60,
                },
            },
            {
                "type": "input",
                "block_id": ModalField.REASON.value,
                "label": _plain("Reason"),
                "hint": _plain("Approvers read this before they decide."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ModalField.REASON.value,
                    "multiline": True,
                    "max_length": MAX_REASON_LENGTH,
                },
            },
        ],
    }


MODAL_ERRORS: Mapping[str, str] = {
    "region_missing": "Choose a region.",
    "region_not_allowed": "This bot does not act in that region; choose one from the list.",
    "eni_missing": "Enter the ENI ID (it starts with eni-).",
    "eni_shape": "That is not an ENI ID; it looks like eni-bp1d7r2k9m4x6c3v5n.",
    "instance_shape": "That is not an instance ID; it looks like i-bp1a3f9k2m7x4q8w6e.",
    "reason_missing": "Give a reason; approvers read it before they decide.",
    "reason_long": f"Keep the reason to {MAX_REASON_LENGTH} characters.",
}


def modal_unavailable() -> Reply:
    """views.open failed (the trigger expired or Slack was unreachable)."""
    return _reply(
        ":warning: The form could not be opened (Slack allows 3 seconds to open it). "
        "Try `/eni detach` again, or type the request in one line: "
        f"{_usage(Subcommand.DETACH)}."
    )


def modal_confirmation_failed(channel_id: str) -> Reply:
    """Shown in the App's DM when the channel refused the ephemeral (bot not in it)."""
    return _reply(
        f":information_source: I could not post in {_where(channel_id)}; invite me there "
        "(`/invite @eni-bot`) so approval cards can be posted."
    )


# ---------------------------------------------------------------------------- App Home


def _decide_buttons(request_id: int) -> dict[str, Any]:
    rid = str(request_id)
    return {
        "type": "actions",
        "block_id": f"home-decide:{rid}",
        "elements": [
            {
                "type": "button",
                "text": _plain("Approve"),
                "action_id": ActionId.APPROVE.value,
                "value": rid,
                "style": "primary",
            },
            {
                "type": "button",
                "text": _plain("Reject"),
                "action_id": ActionId.REJECT.value,
                "value": rid,
                "style": "danger",
            },
        ],
    }


def home_view(
    *,
    user_id: str,
    is_approver: bool,
    pending: Sequence[DetachRequest],
    mine: Sequence[DetachRequest],
    notice: Reply | None = None,
) -> dict[str, Any]:
    """The Home tab: pending approvals with buttons (approvers), then the user's own requests."""
    blocks: list[dict[str, Any]] = [_header("ENI detach requests")]
    if notice is not None:
        blocks += notice.blocks[:2]
        blocks.append({"type": "divider"})
    if is_approver:
        blocks.append(_section("*Waiting for your decision*"))
        shown = list(pending)[:HOME_PENDING_LIMIT]
        if not shown:
            blocks.append(_context("Nothing is waiting for approval."))
        for request in shown:
            blocks.append(
                _section(
                    f"{request_line(request)}\n"
                    f"Detach from {code(request.instance_id)} · "
                    f"*Reason:* {escape_inline(request.reason, limit=300)}"
                )
            )
            if request.requester_id == user_id:
                blocks.append(_context("Your own request: another approver must decide."))
            else:
                blocks.append(_decide_buttons(request.id))
        if len(pending) > HOME_PENDING_LIMIT:
            blocks.append(_context("More are waiting: `/eni list pending` shows them all."))
        blocks.append({"type": "divider"})
    blocks.append(_section("*Your recent requests*"))
    recent = list(mine)[:HOME_MINE_LIMIT]
    if recent:
        blocks += _chunked_sections(request_line(r) for r in recent)
    else:
        blocks.append(_context("None yet. Type `/eni detach` in a channel to ask for one."))
    blocks.append(_context("`/eni help` shows every command."))
    return {"type": "home", "blocks": blocks[:100]}
