"""Refusals: every pre-flight problem and every refused decision names the problem and the fix."""

from __future__ import annotations

from dataclasses import replace

import pytest
from block_inputs import CHANNEL, ENI, INSTANCE, REQUESTER, everything, limit_problems

from bot.ecs.errors import EcsError
from bot.requests.commands import DetachCommand
from bot.requests.repository import OpenRequestRef
from bot.requests.rules import Problem
from bot.requests.schemas import Refusal
from bot.requests.states import Status
from bot.slack.blocks import words
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
from bot.slack.ids import ActionId
from bot.slack.preflight import OpenRequestInfo, Refused

COMMAND = DetachCommand(eni_id=ENI, instance_id=INSTANCE, region="cn-hangzhou", reason="r")
FACTS = {
    "allowed": ["cn-beijing", "cn-shanghai"],
    "status": "Available",
    "attached_to": "i-bp1other0000",
    "trunk_id": "eni-trunk000001",
    "instance_id": INSTANCE,
    "instance_status": "Starting",
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
}
REF = OpenRequestRef(3, ENI, REQUESTER, CHANNEL, "1700000000.1", "approved")
OPEN = OpenRequestInfo(REF)
LINK = "https://x.slack.com/p1"


def _refused(problem: Problem, open_request: OpenRequestInfo = OPEN) -> Refused:
    error = EcsError("Throttling", "slow down", request_id="R-1")
    return Refused(problem, COMMAND, facts=FACTS, existing=open_request, error=error)


def test_every_problem_has_words() -> None:
    assert set(PREFLIGHT_WORDS) | {Problem.OPEN_REQUEST, Problem.ECS_ERROR} == set(Problem)
    assert set(NAMES) == set(Problem)


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
    ("info", "where"),
    [
        (OpenRequestInfo(REF, LINK), f"<{LINK}|its card>"),
        (OPEN, f"its card in <#{CHANNEL}> (message `1700000000.1`)"),
        (
            OpenRequestInfo(replace(REF, card_ts=None)),
            f"its card in <#{CHANNEL}> (being posted)",
        ),
    ],
)
def test_an_open_request_is_named_with_where_to_find_it(info: OpenRequestInfo, where: str) -> None:
    said = everything(preflight_refusal(_refused(Problem.OPEN_REQUEST, info)))
    assert where in said
    assert f"({words.label(Status.APPROVED)})" in said
    assert "`/eni status 3`" in said and "`/eni cancel 3`" in said


def test_ecs_trouble_at_pre_flight_asks_the_person_to_try_again() -> None:
    said = everything(
        ecs_error_reply(EcsError("Throttling", "m", request_id="R-1"), eni_id=ENI, region="r")
    )
    assert "try the same command again in a minute" in said
    assert "ECS request ID `R-1`" in said
    assert everything(ecs_error_reply(None, eni_id=ENI, region="r")) == everything(internal_error())


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
