"""Ephemeral answers to the person who acted: checking, accepted, what a click achieved.

Refusals (why nothing happened) are in `refusals`, the form's answers in `modal`; these say
what did happen.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.requests.commands import DetachCommand
from bot.requests.models import DetachRequest
from bot.requests.schemas import Decision, Outcome, Refusal
from bot.requests.states import Status
from bot.slack.blocks import kit, policy, refusals
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import channel, code, escape_inline, request_ref

__all__ = [
    "OUTCOME_WORDS",
    "already_requested",
    "checking",
    "decision_reply",
    "request_accepted",
]


# ENI IDs named in a confirmation before "and N more" (the card lists them all).
_NAMED_ENIS = 5


def checking(command: DetachCommand) -> Message:
    """The immediate answer to `/eni detach …` while pre-flight asks ECS."""
    return kit.note(f":mag: Checking {refusals.subject(command)} in {code(command.region)}…")


def request_accepted(request: DetachRequest) -> Message:
    """The requester's confirmation: the request ID, what it detaches or attaches, where
    approvers decide."""
    targets = request.targets
    verb = request.operation  # "detach" | "attach"
    where = "to" if verb == "attach" else "from"
    if len(targets) == 1:
        what = f"{code(targets[0].eni_id)} {where} {code(targets[0].instance_id)}"
    else:
        named = ", ".join(code(t.eni_id) for t in targets[:_NAMED_ENIS])
        more = f" and {len(targets) - _NAMED_ENIS} more" if len(targets) > _NAMED_ENIS else ""
        instances = sorted({t.instance_id for t in targets})
        which = code(instances[0]) if len(instances) == 1 else f"{len(instances)} instances"
        what = f"{len(targets)} ENIs ({named}{more}) {where} {which}"
    left = len(request.left_out or [])
    skipped = f" {left} more found were left out; the card says why." if left else ""
    waiting = "is waiting for approval"
    if request.state is not Status.PENDING and request.rule_name:
        # Approved by its rule at submission (auto_approve): nobody has to click.
        waiting = f"was approved automatically by rule *{escape_inline(request.rule_name)}*"
    return kit.note(
        f":white_check_mark: Request *{request_ref(request.id)}* to {verb} {what} in "
        f"{code(request.region)} {waiting}; its card is being posted in "
        f"{channel(request.channel_id)}.{skipped}",
        kit.context(
            f"Follow it with `/eni status {request.id}`; withdraw it with "
            f"`/eni cancel {request.id}`."
        ),
    )


def already_requested(request_id: int, eni_id: str) -> Message:
    """A repeated delivery of a command that already created this request."""
    return kit.note(
        f":information_source: Your request *{request_ref(request_id)}* for {code(eni_id)} is "
        "already recorded; this repeat changed nothing.",
        kit.context(f"Follow it with `/eni status {request_id}`."),
    )


# What a decision that went through did, after "Request #N …".
OUTCOME_WORDS: Mapping[Outcome, str] = {
    Outcome.APPROVED: "approved; the {operation} starts now",
    Outcome.REJECTED: "rejected",
    Outcome.CANCELLED: "cancelled",
    Outcome.RETRYING: "re-initiated; the {operation} is sent again",
}


_POLICY_REFUSALS = frozenset({Refusal.NOT_APPROVER, Refusal.FROZEN, Refusal.RULE_GONE})


def decision_reply(decision: Decision, request_id: int) -> Message:
    """What a click, `/eni cancel` or `/eni retry` achieved, or why it changed nothing."""
    rid = request_ref(request_id)
    request = decision.request
    if decision.outcome is Outcome.REFUSED:
        if decision.check is not None and decision.refusal in _POLICY_REFUSALS:
            return policy.click_refused(decision.refusal, request_id, request, decision.check)
        state = request.state if request is not None else None
        return refusals.decision_refused(decision.refusal or Refusal.NOT_PENDING, request_id, state)
    if decision.outcome is Outcome.RECORDED:
        return kit.note(
            f":ballot_box_with_check: Your approval of *{rid}* is recorded: "
            f"{decision.approvals} of {decision.needed}; waiting for another approver."
        )
    done = OUTCOME_WORDS[decision.outcome].format(
        operation=request.operation if request is not None else "request"
    )
    return kit.note(f":white_check_mark: Request *{rid}* {done}.")
