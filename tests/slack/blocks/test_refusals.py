"""Refusals: every pre-flight problem and every refused decision names the problem and the fix."""

from __future__ import annotations

from dataclasses import replace

import pytest
from block_inputs import CHANNEL, ENI, INSTANCE, REQUESTER, everything, limit_problems

from bot.ecs.errors import EcsError
from bot.requests.commands import DetachCommand
from bot.requests.preflight import EniProblem, OpenRequestRef, Refused
from bot.requests.rules import Problem
from bot.requests.schemas import LeftOut, Refusal
from bot.requests.states import Status
from bot.slack.blocks import words
from bot.slack.blocks.left_out import LEFT_OUT_WORDS, left_out_line
from bot.slack.blocks.refusals import (
    ACTION_VERBS,
    PREFLIGHT_WORDS,
    REFUSAL_WORDS,
    decision_refused,
    ecs_error_reply,
    internal_error,
    not_an_approver,
    preflight_refusal,
)
from bot.slack.blocks.text import code
from bot.slack.ids import ActionId

COMMAND = DetachCommand(eni_ids=(ENI,), instance_id=INSTANCE, region="cn-hangzhou", reason="r")
SELECTION = DetachCommand(tags=(("app", "web"),), region="cn-hangzhou", reason="r")
FACTS = {
    "selected": 140,
    "found": 150,
    "limit": 100,
    "allowed": ["cn-beijing", "cn-shanghai"],
    "status": "Available",
    "attached_to": "i-bp1other0000",
    "trunk_id": "eni-trunk000001",
    "instance_id": INSTANCE,
    "instance_status": "Starting",
    "eni_vpc": "vpc-eni1",
    "instance_vpc": "vpc-other1",
    "eni_zone": "cn-hangzhou-h",
    "instance_zone": "cn-hangzhou-k",
}
# The fact each problem's words must name (what the person needs to see to fix it).
NAMES = {
    Problem.NOT_A_REQUESTER: "ENIBOT_REQUESTERS",
    Problem.REGION_NOT_ALLOWED: "`cn-beijing`, `cn-shanghai`",
    Problem.OPEN_REQUEST: "*#3*",
    Problem.ENI_NOT_FOUND: f"There is no ENI `{ENI}`",
    Problem.PRIMARY_ENI: "primary ENI",
    Problem.MEMBER_ENI: "`eni-trunk000001`",
    Problem.SERVICE_MANAGED: "managed by another Alibaba Cloud service",
    Problem.NOT_ATTACHED: "`Available`",
    Problem.ATTACHED_ELSEWHERE: "`i-bp1other0000`",
    Problem.ENI_STATE: "`Available`",
    Problem.INSTANCE_NOT_FOUND: f"`{INSTANCE}` was not found",
    Problem.INSTANCE_STATE: "`Starting`",
    Problem.ECS_ERROR: "`Throttling`",
    Problem.TOO_MANY_ENIS: "You listed 140 ENIs; one request takes at most 100",
    Problem.NOTHING_SELECTED: "`tag:app=web` in `cn-hangzhou` selects nothing",
    Problem.NOT_AVAILABLE: "only an Available ENI can be attached",
    Problem.VPC_MISMATCH: "`vpc-other1`",
    Problem.ZONE_MISMATCH: "`cn-hangzhou-k`",
    Problem.NO_INSTANCE_TO_RETURN_TO: "Name the instance",
}
REF = OpenRequestRef(3, ENI, REQUESTER, CHANNEL, "1700000000.1", "approved")
LINK = "https://x.slack.com/p1"
OWN = {Problem.TOO_MANY_ENIS, Problem.NOTHING_SELECTED, Problem.OPEN_REQUEST, Problem.ECS_ERROR}


def _refused(problem: Problem, ref: OpenRequestRef = REF) -> Refused:
    error = EcsError("Throttling", "slow down", request_id="R-1")
    command = SELECTION if problem is Problem.NOTHING_SELECTED else COMMAND
    facts = {**FACTS, "found": 0} if problem is Problem.NOTHING_SELECTED else FACTS
    return Refused(problem, command, facts=facts, existing=ref, error=error)


def test_every_problem_has_words() -> None:
    assert set(PREFLIGHT_WORDS) | OWN == set(Problem)
    assert set(NAMES) == set(Problem)
    # Every reason a selection can leave an ENI out has its few words.
    assert set(LEFT_OUT_WORDS) == set(PREFLIGHT_WORDS) - {
        Problem.NOT_A_REQUESTER,
        Problem.REGION_NOT_ALLOWED,
        Problem.ENI_NOT_FOUND,
    } | {Problem.OPEN_REQUEST}


@pytest.mark.parametrize("problem", list(Problem))
def test_each_problem_is_named_with_its_fix(problem: Problem) -> None:
    shown = preflight_refusal(_refused(problem))
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert NAMES[problem] in said
    marker = "*How to fix:* " if "*How to fix:* " in said else "*What to do:* "
    fix = said.split(marker, 1)[1].split("\n", 1)[0]
    assert len(fix) > 20 and fix.endswith("."), fix
    assert "Nothing was stored" in said


@pytest.mark.parametrize(
    ("ref", "links", "where"),
    [
        (REF, {3: LINK}, f"<{LINK}|its card>"),
        (REF, {}, f"its card in <#{CHANNEL}> (message `1700000000.1`)"),
        (replace(REF, card_ts=None), {}, f"its card in <#{CHANNEL}> (being posted)"),
    ],
)
def test_an_open_request_is_named_with_where_to_find_it(
    ref: OpenRequestRef, links: dict[int, str], where: str
) -> None:
    said = everything(preflight_refusal(_refused(Problem.OPEN_REQUEST, ref), links))
    assert where in said
    assert f"({words.label(Status.APPROVED)})" in said
    assert "`/eni status 3`" in said and "`/eni cancel 3`" in said


def test_ecs_trouble_at_pre_flight_asks_the_person_to_try_again() -> None:
    error = EcsError("Throttling", "m", request_id="R-1")
    said = everything(ecs_error_reply(error, subject=code(ENI), region="r"))
    assert "try the same command again in a minute" in said
    assert "ECS request ID `R-1`" in said
    assert everything(ecs_error_reply(None, subject=code(ENI), region="r")) == everything(
        internal_error()
    )
    selection = everything(preflight_refusal(Refused(Problem.ECS_ERROR, SELECTION, error=error)))
    assert "Could not check `tag:app=web` in `cn-hangzhou`" in selection


def test_every_refusal_has_words_naming_the_request() -> None:
    assert set(REFUSAL_WORDS) == set(Refusal)
    for refusal in Refusal:
        said = everything(decision_refused(refusal, 42, Status.DETACHED))
        assert "*#42*" in said and "Nothing was changed." in said
        if "{state}" in REFUSAL_WORDS[refusal]:
            assert words.label(Status.DETACHED) in said


def test_a_refusal_without_the_request_says_its_state_is_unknown() -> None:
    said = everything(decision_refused(Refusal.NOT_PENDING, 42, None))
    assert "(it is unknown)" in said


def test_every_button_names_what_only_approvers_may_do() -> None:
    assert set(ACTION_VERBS) == set(ActionId)
    for action in ActionId:
        said = everything(not_an_approver(42, action))
        assert f"Only approvers can {ACTION_VERBS[action]} request *#42*." in said
        assert "ENIBOT_APPROVERS" in said


# ---------------------------------------------------------------------------- several ENIs

OTHER_ENI = "eni-bp1zzzzzzzzzzzzzzzzz"
PRIMARY = "eni-bp1p8r1m9a2y3x4c5v"


def test_several_listed_problems_are_each_named_with_a_fix() -> None:
    command = DetachCommand(eni_ids=(ENI, OTHER_ENI, PRIMARY), region="cn-hangzhou", reason="r")
    problems = (
        EniProblem(ENI, Problem.OPEN_REQUEST, existing=REF),
        EniProblem(OTHER_ENI, Problem.ENI_NOT_FOUND, {"region": "cn-hangzhou"}),
        EniProblem(PRIMARY, Problem.PRIMARY_ENI, {"instance_id": INSTANCE}),
    )
    refused = Refused(Problem.OPEN_REQUEST, command, existing=REF, problems=problems)
    shown = preflight_refusal(refused, {3: LINK})
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert "3 of the 3 ENIs you listed cannot be detached" in said
    assert f"<{LINK}|its card>" in said and "*#3*" in said
    assert f"There is no ENI `{OTHER_ENI}`" in said
    assert f"`{PRIMARY}` is the primary ENI" in said
    assert said.count("• ") == 3 and "How to fix" in said and "Nothing was stored" in said


def test_a_hundred_problems_fit_slack_and_are_counted() -> None:
    enis = tuple(f"eni-bp1{n:017d}" for n in range(100))
    command = DetachCommand(eni_ids=enis, region="cn-hangzhou", reason="r")
    problems = tuple(EniProblem(e, Problem.ENI_NOT_FOUND) for e in enis)
    shown = preflight_refusal(Refused(Problem.ENI_NOT_FOUND, command, problems=problems))
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert "100 of the 100 ENIs" in said and "… and 85 more." in said


def test_a_selection_too_large_says_how_many_the_limit_and_how_to_narrow() -> None:
    refused = Refused(Problem.TOO_MANY_ENIS, SELECTION, facts=FACTS)
    said = everything(preflight_refusal(refused))
    assert "`tag:app=web` in `cn-hangzhou` selects 140 ENIs" in said
    assert "(150 found)" in said and "at most 100" in said
    assert "add a tag" in said and "name one instance" in said


def test_a_selection_that_kept_nothing_lists_why_each_was_left_out() -> None:
    left = (
        LeftOut(ENI, Problem.OPEN_REQUEST.value, {"name": "web-1-app", "request_id": 3}),
        LeftOut(OTHER_ENI, Problem.SERVICE_MANAGED.value, {"private_ip": "10.0.1.23"}),
        LeftOut(
            PRIMARY,
            Problem.INSTANCE_STATE.value,
            {"instance_id": INSTANCE, "instance_status": "Starting"},
        ),
    )
    refused = Refused(
        Problem.NOTHING_SELECTED, SELECTION, facts={"found": 3, "selected": 0}, left_out=left
    )
    shown = preflight_refusal(refused)
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert "found 3 ENIs, and none of them can be detached" in said
    assert f"`{ENI}` (web-1-app): already in open request *#3*" in said
    assert f"`{OTHER_ENI}` (10.0.1.23): managed by another Alibaba Cloud service" in said
    assert f"its instance `{INSTANCE}` is `Starting`" in said


def test_a_left_out_line_escapes_names_and_survives_unknown_problems() -> None:
    line = left_out_line(LeftOut(ENI, "from_the_future", {"name": "<!channel>"}))
    assert line == f"• `{ENI}` (&lt;!channel&gt;): cannot be detached"
