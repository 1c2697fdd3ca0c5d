"""The approval policy in words: the rule line on the card and in `/eni status`, and refusals.

Rule and freeze names and deny messages come from the policy file: text someone typed, so each
is escaped here (`escape_inline`) before it meets mrkdwn. Approvers are Slack IDs, shown as
mentions: users as `<@U…>`, user groups as `<!subteam^S…>` (CONTRACT.md's "@prod-leads").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.policy import ClickCheck, Refusal, RefusalKind, Refused, Requirement
from bot.requests import governing
from bot.requests.models import DetachRequest
from bot.requests.schemas import Refusal as DecisionRefusal
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.text import code, escape, escape_inline, request_ref, when

__all__ = [
    "approver_mention",
    "auto_approved_reply",
    "click_refused",
    "policy_refusal",
    "rule_blocks",
    "rule_line",
]

# ENI IDs a policy refusal names per reason before "and N more".
_NAMED_ENIS = 10
_NAME_LIMIT = 80


def approver_mention(approver_id: str) -> str:
    """A user (`U…`, `W…`) or user group (`S…`) ID as a mention; anything else as text."""
    if not approver_id.isalnum():
        return escape(approver_id)
    if approver_id[:1] in ("U", "W"):
        return f"<@{approver_id}>"
    if approver_id[:1] == "S":
        return f"<!subteam^{approver_id}>"
    return escape(approver_id)


def _name(name: str) -> str:
    return escape_inline(name, limit=_NAME_LIMIT)


def rule_line(requirement: Requirement) -> str:
    """ "Rule prod: 2 approvals from <!subteam^S…>", names escaped, approvers mentioned."""
    shown = replace(
        requirement,
        rule=_name(requirement.rule),
        freezes=tuple(_name(f) for f in requirement.freezes),
    )
    return shown.text(mention=approver_mention)


def rule_blocks(request: DetachRequest) -> list[Block]:
    """The card's policy line (nothing for a request stored before approval policies)."""
    requirement = governing.requirement(request)
    if requirement is None:
        return []
    return [kit.context(f":scroll: {rule_line(requirement)}")]


def auto_approved_reply(rule_name: str) -> str:
    """The thread reply of a request its rule approved by itself (auto_approve)."""
    return (
        f":white_check_mark: Approved automatically by rule *{_name(rule_name)}*. "
        "The detach starts now; updates follow in this thread."
    )


def _enis(eni_ids: Sequence[str]) -> str:
    named = ", ".join(code(e) for e in eni_ids[:_NAMED_ENIS])
    more = len(eni_ids) - _NAMED_ENIS
    return named + (f" and {more} more" if more > 0 else "")


def _refusal_line(refusal: Refusal) -> str:
    enis = _enis(refusal.eni_ids)
    if refusal.kind is RefusalKind.NO_RULE:
        return f"No policy rule covers {enis}; ask whoever keeps the policy file to add one."
    message = escape_inline(refusal.message, limit=300)
    if refusal.kind is RefusalKind.DENY:
        return f"Rule *{_name(refusal.name or '')}* refuses {enis}: {message}"
    until = f" until {when(refusal.until)}" if refusal.until is not None else ""
    return f"Freeze *{_name(refusal.name or '')}* is in force{until} for {enis}: {message}"


def policy_refusal(refused: Refused) -> Message:
    """The ephemeral answer to a request the approval policy refuses (nothing was stored)."""
    lines = [f":no_entry: {_refusal_line(r)}" for r in refused.refusals]
    return kit.note(
        "\n".join(lines),
        kit.context("Nothing was stored and nothing was posted to the channel."),
    )


def click_refused(
    refusal: DecisionRefusal,
    request_id: int,
    request: DetachRequest | None,
    check: ClickCheck,
) -> Message:
    """A click the policy does not count: whose click would, or why nobody's can now."""
    rid = f"*{request_ref(request_id)}*"
    rule = request.rule_name if request is not None else None
    named = f"rule *{_name(rule)}*" if rule else "its policy rule"
    freezes = ", ".join(f"*{_name(f)}*" for f in check.freezes)
    if refusal is DecisionRefusal.FROZEN:
        text = (
            f"Freeze {freezes} is in force: nobody can approve request {rid} until it ends "
            "(the freeze names no approvers of it)."
        )
    elif refusal is DecisionRefusal.RULE_GONE:
        text = (
            f"Request {rid} is governed by {named}, which the policy file no longer has; "
            "nobody can approve it. Cancel it and ask again."
        )
    else:
        who = ", ".join(approver_mention(a) for a in check.approvers) or "nobody"
        during = f" while freeze {freezes} is in force" if check.freezes else ""
        by = f"the approvers of freeze {freezes}" if check.freezes else f"approvers of {named}"
        text = f"Only {by} can approve or reject request {rid}{during}: {who}."
    return kit.note(f":no_entry: {text}", kit.context("Nothing was changed."))
