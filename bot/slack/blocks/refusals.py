"""Ephemeral refusals: why nothing happened, and how to get it right.

Pre-flight refusals (a `Problem` with its facts), ECS trouble at pre-flight, and refused clicks
and commands (a `Refusal` from the service). Every refusal names the problem and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.ecs.catalogue import Reaction
from bot.ecs.errors import EcsError
from bot.requests.commands import DetachCommand
from bot.requests.preflight import EniProblem, OpenRequestRef, Refused
from bot.requests.rules import Problem
from bot.requests.schemas import Refusal
from bot.requests.states import Status
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.left_out import left_out_line
from bot.slack.blocks.text import (
    channel,
    code,
    escape,
    mention,
    request_ref,
    shown,
)
from bot.slack.ids import ActionId

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
    "subject",
]

_NOTHING_STORED = "Nothing was stored and nothing was posted to the channel."
# Problems, or left-out ENIs, listed one per line in a refusal; the rest are counted.
_SHOWN_LINES = 15


def _facts(command: DetachCommand, eni_id: str, facts: Mapping[str, Any]) -> dict[str, str]:
    """What the pre-flight words may name, each escaped or in a code span."""
    trunk = facts.get("trunk_id")
    return {
        "eni": code(eni_id),
        "region": code(command.region),
        "named_instance": code(command.instance_id or "-"),
        "allowed": ", ".join(code(r) for r in facts.get("allowed", [])),
        "eni_status": code(str(facts.get("status"))),
        "attached_to": code(str(facts.get("attached_to"))),
        "of_trunk": f" of trunk ENI {code(str(trunk))}" if trunk else "",
        "instance": code(str(facts.get("instance_id"))),
        "instance_status": code(str(facts.get("instance_status"))),
        "with_region": code(f"/eni {command.operation} {eni_id} <region-id> <reason>"),
        "attach_usage": code("/eni attach <eni-id> <instance-id> <reason>"),
        "eni_vpc": code(str(facts.get("eni_vpc"))),
        "instance_vpc": code(str(facts.get("instance_vpc"))),
        "eni_zone": code(str(facts.get("eni_zone"))),
        "instance_zone": code(str(facts.get("instance_zone"))),
    }


# Problem -> (what is wrong, how to fix it), filled from `_facts`; OPEN_REQUEST, ECS_ERROR and
# the size of a request (TOO_MANY_ENIS, NOTHING_SELECTED) have messages of their own.
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
        "Manage it through the service that owns it (for example its load balancer).",
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
        "ENIs can be detached or attached only while the instance is Running or Stopped; try "
        "again then.",
    ),
    # Attach (0.2).
    Problem.NOT_AVAILABLE: (
        "{eni} is {eni_status}; only an Available ENI can be attached.",
        "Detach it first (`/eni detach`), or pick an Available ENI.",
    ),
    Problem.VPC_MISMATCH: (
        "{eni} is in VPC {eni_vpc}, but instance {instance} is in {instance_vpc}.",
        "An ENI can be attached only to an instance in its own VPC; pick one there.",
    ),
    Problem.ZONE_MISMATCH: (
        "{eni} is in zone {eni_zone}, but instance {instance} is in {instance_zone}.",
        "An ENI can be attached only to an instance in the zone of its vSwitch; pick one there.",
    ),
    Problem.NO_INSTANCE_TO_RETURN_TO: (
        "This bot never detached {eni}, so it does not know where it belongs.",
        "Name the instance: {attach_usage}.",
    ),
}


def subject(command: DetachCommand) -> str:
    """What the command is about, in words: the ENI, "3 ENIs", or the selection as typed."""
    if command.is_selection:
        return shown(command.selector or "")
    if len(command.eni_ids) == 1:
        return code(command.eni_ids[0])
    return f"{len(command.eni_ids)} ENIs"


def preflight_refusal(refused: Refused, links: Mapping[int, str] | None = None) -> Message:
    """Why the request was not created, and how to get it right (`links`: cards by request)."""
    links = links or {}
    if refused.problem is Problem.TOO_MANY_ENIS:
        return _too_many(refused)
    if refused.problem is Problem.NOTHING_SELECTED:
        return _nothing_selected(refused)
    if len(refused.command.eni_ids) > 1 and refused.problems:
        return _several(refused, links)
    if refused.problem is Problem.OPEN_REQUEST:
        assert refused.existing is not None
        what, fix = _open_request(refused.existing, links.get(refused.existing.id))
        return _refused(what, fix)
    templates = PREFLIGHT_WORDS.get(refused.problem)
    if templates is None:
        return ecs_error_reply(
            refused.error, subject=subject(refused.command), region=refused.command.region
        )
    about = refused.problems[0].eni_id if refused.problems else refused.command.eni_id
    facts = _facts(refused.command, about or "", refused.facts)
    what, fix = (template.format_map(facts) for template in templates)
    return _refused(what, fix)


def _refused(what: str, fix: str, *more: Block) -> Message:
    return kit.note(f":no_entry: {what}\n*How to fix:* {fix}", *more, kit.context(_NOTHING_STORED))


def _open_request(ref: OpenRequestRef, link: str | None) -> tuple[str, str]:
    if link:
        where = f"<{link}|its card>"
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
    return what, fix


def _problem_words(command: DetachCommand, problem: EniProblem, links: Mapping[int, str]) -> str:
    if problem.problem is Problem.OPEN_REQUEST and problem.existing is not None:
        what, fix = _open_request(problem.existing, links.get(problem.existing.id))
    else:
        templates = PREFLIGHT_WORDS[problem.problem]
        facts = _facts(command, problem.eni_id, problem.facts)
        what, fix = (template.format_map(facts) for template in templates)
    return f"• {what} _{fix}_"


def _several(refused: Refused, links: Mapping[int, str]) -> Message:
    """Several listed ENIs, some with problems: each named with its fix; the command stands or
    falls whole."""
    problems = refused.problems
    lines = [_problem_words(refused.command, p, links) for p in problems[:_SHOWN_LINES]]
    if len(problems) > _SHOWN_LINES:
        lines.append(f"… and {len(problems) - _SHOWN_LINES} more.")
    listed = len(refused.command.eni_ids)
    verb, undone = refused.command.operation, refused.undo_of
    whose = f"request *#{undone}* detached" if undone else "you listed"
    head = (
        f":no_entry: {len(problems)} of the {listed} ENIs {whose} cannot be {verb}ed, so "
        "nothing was requested:"
    )
    fix = (
        f"*How to fix:* deal with each problem above, then `/eni reattach {undone}` again; or "
        "put the others back with `/eni attach`."
        if undone
        else "*How to fix:* fix each problem above, or leave those ENIs out of the command; a "
        f"request goes ahead only when every listed ENI can be {verb}ed."
    )
    return kit.message(
        kit.fallback(head),
        [kit.section(head), *kit.sections(lines), kit.section(fix), kit.context(_NOTHING_STORED)],
    )


def _narrowing(command: DetachCommand) -> str:
    if command.is_selection and command.tags and command.instance_id is None:
        return (
            f"Narrow the selection: add a tag ({code('tag:<key>=<value>')}; all must match), "
            "name one instance (`i-…`), or list the ENI IDs over several requests."
        )
    if command.is_selection and command.tags:
        return "Narrow the selection with another tag, or list the ENI IDs over several requests."
    return "List the ENI IDs instead, over several requests."


def _too_many(refused: Refused) -> Message:
    command, facts = refused.command, refused.facts
    limit = facts.get("limit")
    if not command.is_selection:
        what = (
            f"You listed {facts.get('selected')} ENIs; one request takes at most {limit} "
            "(ENIBOT_MAX_ENIS_PER_REQUEST)."
        )
        return _refused(what, f"Split them over several requests of at most {limit} ENIs.")
    what = (
        f"{subject(command)} in {code(command.region)} selects {facts.get('selected')} ENIs that "
        f"can be detached ({facts.get('found')} found); one request takes at most {limit} "
        "(ENIBOT_MAX_ENIS_PER_REQUEST)."
    )
    return _refused(what, _narrowing(command))


def _nothing_selected(refused: Refused) -> Message:
    command, facts = refused.command, refused.facts
    found = int(facts.get("found") or 0)
    where = f"{subject(command)} in {code(command.region)}"
    if not found:
        kind = "attached (InUse) secondary ENI" if command.tags else "secondary ENI"
        what = f"{where} selects nothing: ECS has no {kind} that matches."
        fix = (
            "Check the tag keys and values (ECS compares them exactly, case included), the "
            "instance ID and the region; or list the ENI IDs."
        )
        return _refused(what, fix)
    left = refused.left_out
    lines = [left_out_line(x) for x in left[:_SHOWN_LINES]]
    if len(left) > _SHOWN_LINES:
        lines.append(f"… and {len(left) - _SHOWN_LINES} more.")
    what = f"{where} found {found} ENIs, and none of them can be detached:"
    fix = "Deal with what holds them back (above), or select other ENIs."
    return kit.note(
        f":no_entry: {what}",
        *kit.sections(lines),
        kit.section(f"*How to fix:* {fix}"),
        kit.context(_NOTHING_STORED),
    )


def ecs_error_reply(error: EcsError | None, *, subject: str, region: str) -> Message:
    """ECS refused or did not answer during pre-flight: plain words, code and request ID.

    `subject` is what was being checked, as markup (`refusals.subject`).
    """
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
        f":x: Could not check {subject} in {code(region)}: {escape(entry.meaning)}\n"
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
    # The policy's refusals are told with who could decide (blocks.policy.click_refused).
    Refusal.NOT_APPROVER: "Only approvers of its policy rule can decide on request {rid}.",
    Refusal.FROZEN: "A freeze is in force: nobody can decide on request {rid} until it ends.",
    Refusal.RULE_GONE: "The policy rule of request {rid} is gone; nobody can approve it.",
}

# What each button does, as "Only approvers can …" says it.
ACTION_VERBS: Mapping[ActionId, str] = {
    ActionId.REATTACH: "undo",
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
