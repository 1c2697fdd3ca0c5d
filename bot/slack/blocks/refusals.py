"""Ephemeral refusals: why nothing happened, and how to get it right.

Pre-flight refusals (a `Problem` with its facts), ECS trouble at pre-flight, and refused clicks
and commands (a `Refusal` from the service). Every refusal names the problem and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.ecs.catalogue import Reaction
from bot.ecs.errors import EcsError
from bot.requests.rules import Problem
from bot.requests.schemas import Refusal
from bot.requests.states import Status
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import channel, code, escape, mention, request_ref
from bot.slack.ids import ActionId
from bot.slack.preflight import Refused

__all__ = [
    "ACTION_VERBS",
    "PREFLIGHT_WORDS",
    "REFUSAL_WORDS",
    "bad_button_value",
    "decision_refused",
    "ecs_error_reply",
    "internal_error",
    "not_an_approver",
    "preflight_refusal",
]

_NOTHING_STORED = "Nothing was stored and nothing was posted to the channel."


def _facts(refused: Refused) -> dict[str, str]:
    """What the pre-flight words may name, each escaped or in a code span."""
    cmd, facts = refused.command, refused.facts
    trunk = facts.get("trunk_id")
    return {
        "eni": code(cmd.eni_id),
        "region": code(cmd.region),
        "named_instance": code(cmd.instance_id or "-"),
        "allowed": ", ".join(code(r) for r in facts.get("allowed", [])),
        "eni_status": code(str(facts.get("status"))),
        "attached_to": code(str(facts.get("attached_to"))),
        "of_trunk": f" of trunk ENI {code(str(trunk))}" if trunk else "",
        "instance": code(str(facts.get("instance_id"))),
        "instance_status": code(str(facts.get("instance_status"))),
        "with_region": code(f"/eni detach {cmd.eni_id} <region-id> <reason>"),
    }


# Problem -> (what is wrong, how to fix it), filled from `_facts`; OPEN_REQUEST and ECS_ERROR
# have messages of their own.
PREFLIGHT_WORDS: Mapping[Problem, tuple[str, str]] = {
    Problem.NOT_A_REQUESTER: (
        "You are not on the list of people who may request ENI detaches.",
        "Ask one of the bot's approvers to add you (or your user group) to ENIBOT_REQUESTERS.",
    ),
    Problem.REGION_NOT_ALLOWED: (
        "This bot does not act in region {region}.",
        "Use one of the allowed regions: {allowed}.",
    ),
    Problem.ENI_NOT_FOUND: (
        "There is no ENI {eni} in region {region}.",
        "Check the ID (copy it from the ECS console) and the region; name the region in the "
        "command if it is not {region}: {with_region}.",
    ),
    Problem.PRIMARY_ENI: (
        "{eni} is the primary ENI of its instance; a primary ENI cannot be detached.",
        "Pick a secondary ENI of the instance, or release the instance instead.",
    ),
    Problem.MEMBER_ENI: (
        "{eni} is a member ENI{of_trunk}; members leave their trunk, not an instance.",
        "Remove it through the container service that manages the trunk.",
    ),
    Problem.SERVICE_MANAGED: (
        "{eni} is managed by another Alibaba Cloud service.",
        "Detach it through the service that owns it (for example its load balancer).",
    ),
    Problem.NOT_ATTACHED: (
        "{eni} is not attached to any instance (it is {eni_status}).",
        "There is nothing to detach; check the ENI ID.",
    ),
    Problem.ATTACHED_ELSEWHERE: (
        "{eni} is attached to {attached_to}, not to {named_instance}.",
        "Check the instance ID, or leave it out to use {attached_to}.",
    ),
    Problem.ENI_STATE: (
        "{eni} is {eni_status}; only an InUse ENI can be detached.",
        "Wait until the ENI is InUse, then ask again.",
    ),
    Problem.INSTANCE_NOT_FOUND: (
        "The instance {instance} was not found in {region}.",
        "Check the instance ID and region.",
    ),
    Problem.INSTANCE_STATE: (
        "Instance {instance} is {instance_status}.",
        "ENIs can be detached only while the instance is Running or Stopped; try again then.",
    ),
}


def preflight_refusal(refused: Refused) -> Message:
    """Why the request was not created, and how to get it right."""
    if refused.problem is Problem.OPEN_REQUEST:
        return _open_request(refused)
    templates = PREFLIGHT_WORDS.get(refused.problem)
    if templates is None:
        return ecs_error_reply(
            refused.error, eni_id=refused.command.eni_id, region=refused.command.region
        )
    facts = _facts(refused)
    what, fix = (template.format_map(facts) for template in templates)
    return _refused(what, fix)


def _refused(what: str, fix: str) -> Message:
    return kit.note(f":no_entry: {what}\n*How to fix:* {fix}", kit.context(_NOTHING_STORED))


def _open_request(refused: Refused) -> Message:
    existing = refused.existing
    assert existing is not None
    ref = existing.ref
    if existing.permalink:
        where = f"<{existing.permalink}|its card>"
    elif ref.card_ts:
        where = f"its card in {channel(ref.channel_id)} (message {code(ref.card_ts)})"
    else:
        where = f"its card in {channel(ref.channel_id)} (being posted)"
    what = (
        f"{code(ref.eni_id)} already has an open request: *{request_ref(ref.id)}*, opened by "
        f"{mention(ref.requester_id)} ({words.label(Status(ref.status))}). See {where}."
    )
    fix = (
        f"Follow that request (`/eni status {ref.id}`), or cancel it first "
        f"(`/eni cancel {ref.id}`) if it should not go ahead."
    )
    return _refused(what, fix)


def ecs_error_reply(error: EcsError | None, *, eni_id: str, region: str) -> Message:
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
    return kit.note(
        f":x: Could not check {code(eni_id)} in {code(region)}: {escape(entry.meaning)}\n"
        f"*What to do:* {escape(remedy)}",
        kit.context(f"{ids}. Nothing was stored."),
    )


def internal_error(request_id: int | None = None) -> Message:
    """Something broke on our side; say what is known and what to do."""
    about = f" for request {request_ref(request_id)}" if request_id else ""
    return kit.note(
        f":x: Something went wrong on the bot's side{about}; nothing you did caused it. "
        "Try again in a minute; if it keeps happening, tell the bot's operators."
    )


# ---------------------------------------------------------------------------- clicks, commands

REFUSAL_WORDS: Mapping[Refusal, str] = {
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

# What each button does, as "Only approvers can …" says it.
ACTION_VERBS: Mapping[ActionId, str] = {
    ActionId.APPROVE: "approve",
    ActionId.REJECT: "reject",
    ActionId.RETRY: "re-initiate",
}


def decision_refused(refusal: Refusal, request_id: int, state: Status | None) -> Message:
    """A click or command the service refused: why, and that nothing changed."""
    shown_state = words.label(state) if state is not None else "unknown"
    text = REFUSAL_WORDS[refusal].format(rid=f"*{request_ref(request_id)}*", state=shown_state)
    return kit.note(f":no_entry: {text}", kit.context("Nothing was changed."))


def not_an_approver(request_id: int | None, action: ActionId) -> Message:
    """A click or command only approvers may make."""
    about = f" request *{request_ref(request_id)}*" if request_id else ""
    return kit.note(
        f":no_entry: Only approvers can {ACTION_VERBS[action]}{about}.",
        kit.context("Nothing was changed. Approvers are listed in ENIBOT_APPROVERS."),
    )


def bad_button_value() -> Message:
    """A click whose value is not a request ID (an old or altered message)."""
    return kit.note(":no_entry: That button does not name a request; nothing was changed.")
