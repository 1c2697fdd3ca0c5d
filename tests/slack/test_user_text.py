"""User and ECS text never turns into links, mentions or formatting it did not mean.

Every surface the bot builds (card, thread replies, incident summary, ephemeral answers,
`/eni status`, `/eni list`, App Home, the modal, the card-undeliverable notice) is rendered
here from a request whose every person- or ECS-supplied field (reason, ENI name, description,
tags, status, error message, notes, ECS request IDs) holds HOSTILE, and each mrkdwn text object
is checked:
- it is `verbatim: true`, so Slack does not auto-link URLs, addresses, `#channels` or `@here`
  (the Slack stand-in's `auto_parsed` names what it would have linked otherwise);
- every `<…>` control in it is one the bot wrote (mentions of the people involved, its own
  channel, a date);
- none of HOSTILE's formatting survives outside the bot's own code spans, and no line starts
  with a quote marker.
Pure: blocks are built from transient rows, no database and no Slack.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ecs.errors import EcsError
from bot.requests.commands import DetachCommand, ListScope, parse_command
from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.preflight import EniProblem, Refused
from bot.requests.repository import OpenRequestRef
from bot.requests.rules import Problem
from bot.requests.schemas import Decision, LeftOut, Outcome, Refusal
from bot.requests.states import Status
from bot.sim.slack.blockcheck import auto_parsed, mrkdwn_objects
from bot.slack.blocks import (
    card,
    ephemeral,
    home,
    listing,
    modal,
    notices,
    refusals,
    status,
    summary,
    thread,
    usage,
)
from bot.slack.blocks.notices import CHANNEL_PROBLEMS
from bot.slack.ids import ActionId

from support.rows import one_target_request

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REQUESTER, APPROVER, OTHER = "U0REQUESTER", "U0APPROVER1", "U0APPROVER2"
CHANNEL = "C0ENIOPS"
HOSTILE = (
    "> quoted see http://evil.example/login and www.evil.example, evil.example, "
    "boss@evil.example #general @here @channel @everyone <!channel> <!here> <@U0EVIL> "
    "<#C0EVIL> <http://x|y> <!subteam^S0EVIL> *bold* _it_ ~s~ `code` ```block``` "
    "&amp; &lt;!channel&gt;\nsecond line\n> quoted again"
)
# The markers HOSTILE carries; none may reach Slack as formatting.
MARKERS = ["*bold*", "_it_", "~s~", "`code`", "```"]
_OWN_CONTROL = re.compile(
    rf"<(?:@(?:{REQUESTER}|{APPROVER}|{OTHER})|#{CHANNEL}|!date\^\d+\^[^<>|]*\|[^<>|]*)>"
)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def request(status: Status = Status.PENDING, **fields: Any) -> DetachRequest:
    values: dict[str, Any] = {
        "id": 7,
        "region": "cn-hangzhou",
        "eni_id": "eni-bp1d7r2k9m4x6c3v5n",
        "instance_id": "i-bp1a3f9k2m7x4q8w6e",
        "requester_id": REQUESTER,
        "channel_id": CHANNEL,
        "reason": HOSTILE,
        "status": status.value,
        "approvals_needed": 2,
        "expires_at": NOW + timedelta(minutes=30),
        "eni_snapshot": {
            "name": HOSTILE,
            "description": HOSTILE,
            "private_ip": HOSTILE,
            "vpc_id": HOSTILE,
            "vswitch_id": "vsw-1",
            "security_group_ids": [HOSTILE],
            "tags": {HOSTILE: HOSTILE, "env": "prod"},
            "status": HOSTILE,
        },
        "ecs_request_id": HOSTILE,
        "error_code": None,
        "error_message": HOSTILE,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return one_target_request(values)


def event(kind: str, to: Status | None, detail: dict[str, Any], actor: str = APPROVER) -> Any:
    return RequestEvent(
        request_id=7, at=NOW, actor=actor, kind=kind, to_status=to and to.value, detail=detail
    )


HISTORY = [
    event("transition", Status.PENDING, {"reason": HOSTILE}, REQUESTER),
    event("approval", Status.PENDING, {"approvals": 1, "needed": 2}),
    event("ecs_call", None, {"action": HOSTILE, "code": HOSTILE, "message": HOSTILE}),
    event("transition", Status.REJECTED, {"note": HOSTILE, "withdrew_approval": True}),
    event("transition", Status.DETACHING, {"ecs_request_id": HOSTILE}),
    event("transition", Status.DETACHED, {"eni_status": HOSTILE}),
    event("transition", Status.FAILED, {"error_code": HOSTILE, "error_message": HOSTILE}),
    event("ecs_trouble", None, {"error_code": HOSTILE}),
]
DETAIL = {
    "error_code": "InvalidOperation.Conflict",
    "error_message": HOSTILE,
    "ecs_request_id": HOSTILE,
    "note": HOSTILE,
    "stuck_for_seconds": 400,
}
COMMAND = DetachCommand(
    eni_ids=("eni-bp1d7r2k9m4x6c3v5n",),
    instance_id="i-bp1a3f9k2m7x4q8w6e",
    region="cn-hangzhou",
    region_given=False,
    reason=HOSTILE,
)
# A tag selection whose key and value are hostile (tags are anyone's text in ECS).
TAGGED = DetachCommand(
    tags=(("<!channel>", "*bold* <https://x.test|y>"),), region="cn-hangzhou", reason=HOSTILE
)
HOSTILE_FACTS = {
    "status": HOSTILE,
    "attached_to": HOSTILE,
    "trunk_id": HOSTILE,
    "instance_id": HOSTILE,
    "instance_status": HOSTILE,
    "allowed": [HOSTILE],
}
OPEN = OpenRequestRef(3, "eni-bp1d7r2k9m4x6c3v5n", REQUESTER, CHANNEL, None, "pending")


def surfaces() -> dict[str, list[dict[str, Any]]]:
    """Every surface, by name, as the blocks the bot would send."""
    out: dict[str, list[dict[str, Any]]] = {}
    deciders = [card.Decider(OTHER, "approve"), card.Decider(APPROVER, "reject")]
    for state in Status:
        for code in ("InvalidOperation.Conflict", "WorldChanged"):
            shown = request(state, error_code=code)
            out[f"card {state.value} {code}"] = card.approval_card(shown, deciders).blocks
            detail = {**DETAIL, "error_code": code}
            for extra in ({}, {"partial": True, "approvals": 1, "needed": 2}, {"ecs_trouble": 1}):
                payload = {"status": state.value, "actor": APPROVER, "detail": detail | extra}
                name = f"reply {state.value} {code} {sorted(extra)}"
                out[name] = thread.thread_reply(shown, payload).blocks
    finished = {
        "status": Status.FAILED.value,
        "eni_id": HOSTILE,
        "instance_id": HOSTILE,
        "region": HOSTILE,
        "error_code": HOSTILE,
        "ecs_request_id": HOSTILE,
    }
    out["incident summary"] = summary.incident_summary(finished, 7).blocks
    out["digest"] = summary.digest([(7, finished), (8, finished)]).blocks
    pending = request()
    out["status"] = status.status_message(
        request(Status.FAILED, error_code=HOSTILE), HISTORY, [OTHER], [APPROVER]
    ).blocks
    out["status pending"] = status.status_message(pending, HISTORY).blocks
    for scope in ListScope:
        out[f"list {scope.value}"] = listing.list_message(scope, [pending], 20).blocks
    home_tab = home.home_view(
        user_id=APPROVER,
        is_approver=True,
        pending=[pending],
        mine=[pending],
        notice=ephemeral.decision_reply(Decision(Outcome.REFUSED, pending, Refusal.NOT_PENDING), 7),
    )
    out["home"] = home_tab["blocks"]
    out["modal"] = modal.detach_modal(
        allowed_regions=["cn-hangzhou"], default_region="cn-hangzhou", channel_id=CHANNEL
    )["blocks"]
    out["help"] = usage.help_message().blocks
    parsed = parse_command(f"{HOSTILE} x", default_region="cn-hangzhou", known_regions=[])
    assert not isinstance(parsed, DetachCommand)
    out["command error"] = usage.command_error(parsed).blocks  # type: ignore[arg-type]
    for line in ("detach just words", "detach tag:<!here>", "detach eni-bp1abcdefg tag:a=b x"):
        wrong = parse_command(line, default_region="cn-hangzhou", known_regions=[])
        assert not isinstance(wrong, DetachCommand)
        out[f"command error {line}"] = usage.command_error(wrong).blocks  # type: ignore[arg-type]
    for problem in Problem:
        refused = Refused(
            problem,
            COMMAND,
            facts=HOSTILE_FACTS,
            existing=OPEN,
            error=EcsError("Throttling", HOSTILE, request_id=HOSTILE),
        )
        out[f"refusal {problem.value}"] = refusals.preflight_refusal(refused).blocks
        several = Refused(
            problem,
            COMMAND,
            existing=OPEN,
            problems=(
                EniProblem("eni-bp1d7r2k9m4x6c3v5n", problem, HOSTILE_FACTS, OPEN),
                EniProblem("eni-bp1zzzzzzzzzzzzzzz", problem, HOSTILE_FACTS, OPEN),
            ),
        )
        if problem not in (Problem.TOO_MANY_ENIS, Problem.NOTHING_SELECTED, Problem.ECS_ERROR):
            out[f"refusal of two {problem.value}"] = refusals.preflight_refusal(several).blocks
        left = LeftOut("eni-bp1d7r2k9m4x6c3v5n", problem.value, {"name": HOSTILE, **HOSTILE_FACTS})
        nothing = Refused(
            Problem.NOTHING_SELECTED, TAGGED, facts={"found": 1, "selected": 0}, left_out=(left,)
        )
        out[f"nothing selected {problem.value}"] = refusals.preflight_refusal(nothing).blocks
    for problem in (Problem.TOO_MANY_ENIS, Problem.NOTHING_SELECTED, Problem.ECS_ERROR):
        refused = Refused(problem, TAGGED, facts={"found": 0, "selected": 1, "limit": 1})
        out[f"selection refused {problem.value}"] = refusals.preflight_refusal(refused).blocks
    out["checking a selection"] = ephemeral.checking(TAGGED).blocks
    out["accepted"] = ephemeral.request_accepted(pending).blocks
    out["repeat"] = ephemeral.already_requested(7, "eni-bp1d7r2k9m4x6c3v5n").blocks
    for outcome in Outcome:
        for refusal in Refusal:
            decision = Decision(outcome, pending, refusal, approvals=1, needed=2)
            out[f"decision {outcome} {refusal}"] = ephemeral.decision_reply(decision, 7).blocks
    out["not an approver"] = refusals.not_an_approver(7, ActionId.APPROVE).blocks
    out["internal error"] = refusals.internal_error(7).blocks
    out["modal unavailable"] = modal.modal_unavailable().blocks
    out["modal not posted"] = modal.modal_confirmation_failed(CHANNEL).blocks
    for problem in sorted(CHANNEL_PROBLEMS):
        for cancelled in (True, False):
            notice = notices.card_undeliverable(request(), problem, cancelled=cancelled)
            out[f"card undeliverable {problem} {cancelled}"] = notice.blocks
    return out


SURFACES = surfaces()


@pytest.mark.parametrize("name", list(SURFACES))
def test_mrkdwn_is_verbatim_so_slack_links_nothing_by_itself(name: str) -> None:
    shown = SURFACES[name]
    assert [o["text"][:60] for o in mrkdwn_objects(shown) if o.get("verbatim") is not True] == []
    assert auto_parsed(shown) == []


@pytest.mark.parametrize("name", list(SURFACES))
def test_the_only_slack_markup_is_the_bots_own(name: str) -> None:
    for obj in mrkdwn_objects(SURFACES[name]):
        text = obj["text"]
        foreign = _OWN_CONTROL.sub("", text)
        assert "<" not in foreign and ">" not in foreign, text
        outside_code = _CODE_SPAN.sub("", foreign)
        assert [m for m in MARKERS if m in outside_code] == [], text
        assert not any(line.lstrip().startswith("&gt;") for line in text.split("\n")), text


def test_hostile_text_is_still_readable() -> None:
    # Escaped, not dropped: the reason a person typed is there for approvers to read.
    (card_text,) = [
        o["text"]
        for o in mrkdwn_objects(SURFACES["card pending WorldChanged"])
        if "Reason" in o["text"]
    ]
    assert "http://evil.example/login" in card_text
    assert "&lt;!channel&gt;" in card_text
    assert "@here" in card_text


def test_the_checker_names_what_slack_would_link() -> None:
    loose = [{"type": "section", "text": {"type": "mrkdwn", "text": HOSTILE}}]
    found = " ".join(auto_parsed(loose))
    for expected in ("http://evil.example/login", "www.evil.example", "boss@evil.example"):
        assert expected in found
    for expected in ("#general", "@here", "@channel", "'evil.example'"):
        assert expected in found
    assert auto_parsed([{**loose[0], "text": {**loose[0]["text"], "verbatim": True}}]) == []
    assert auto_parsed([{"type": "section", "text": {"type": "mrkdwn", "text": "<@U1> hi"}}]) == []
