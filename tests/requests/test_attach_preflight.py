"""Attach pre-flight's rule (pure) and who may undo what (`undo.plan`).

`attach_preflight.listed` is a function of what ECS said, where each ENI goes and which ENIs
open requests hold: checked over generated worlds against `rules.attach_eni_problem` and
`rules.attach_instance_problem` (the oracle for one ENI). The database half (the last detach of
an ENI) and the Slack words are tests/slack/test_surface_attach.py's.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface
from bot.requests import attach_preflight, rules, undo
from bot.requests.commands import DetachCommand
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.preflight import OpenRequestRef, Passed, Refused
from bot.requests.rules import Problem
from bot.requests.states import Status, TargetStatus

REGION = "cn-hangzhou"
INSTANCES = ("i-aaaaaaaa01", "i-aaaaaaaa02", "i-aaaaaaaa03")
ENI_IDS = tuple(f"eni-bbbbbbbb{n:02d}" for n in range(8))
WHO: dict[str, Any] = {"requester_id": "U0REQUESTER", "channel_id": "C0ENIOPS"}


def ref(eni_id: str) -> OpenRequestRef:
    return OpenRequestRef(9, eni_id, "U0OTHER", "C0ENIOPS", None, "pending")


@st.composite
def enis(draw: st.DrawFn) -> NetworkInterface:
    """One ENI as Describe might return it: any kind, state, VPC and zone."""
    status = draw(st.sampled_from(list(EniStatus)))
    return NetworkInterface(
        eni_id=draw(st.sampled_from(ENI_IDS)),
        status=status,
        type=draw(st.sampled_from(list(EniType))),
        instance_id=None if status is EniStatus.AVAILABLE else draw(st.sampled_from(INSTANCES)),
        region_id=REGION,
        service_managed=draw(st.booleans()),
        vpc_id=draw(st.sampled_from(["vpc-a", "vpc-b"])),
        zone_id=draw(st.sampled_from(["zone-h", "zone-i"])),
    )


@st.composite
def instances(draw: st.DrawFn) -> list[Instance]:
    return [
        Instance(
            instance_id=i,
            status=draw(st.sampled_from(list(InstanceStatus))),
            region_id=REGION,
            vpc_id=draw(st.sampled_from(["vpc-a", "vpc-b"])),
            zone_id=draw(st.sampled_from(["zone-h", "zone-i"])),
        )
        for i in draw(st.lists(st.sampled_from(INSTANCES), unique=True))
    ]


def oracle(
    eni_id: str,
    found: dict[str, NetworkInterface],
    going: dict[str, str],
    by_instance: dict[str, Instance],
    held: dict[str, OpenRequestRef],
) -> Problem | None:
    if eni_id in held:
        return Problem.OPEN_REQUEST
    eni = found.get(eni_id)
    if eni is None:
        return Problem.ENI_NOT_FOUND
    problem = rules.attach_eni_problem(eni)
    if problem is not None:
        return problem[0]
    if eni_id not in going:
        return Problem.NO_INSTANCE_TO_RETURN_TO
    found_problem = rules.attach_instance_problem(
        eni, by_instance.get(going[eni_id]), going[eni_id]
    )
    return found_problem[0] if found_problem is not None else None


@given(
    wanted=st.lists(st.sampled_from(ENI_IDS), min_size=1, max_size=8, unique=True),
    found=st.lists(enis(), max_size=8, unique_by=lambda e: e.eni_id),
    world=instances(),
    going=st.dictionaries(st.sampled_from(ENI_IDS), st.sampled_from(INSTANCES)),
    held_ids=st.lists(st.sampled_from(ENI_IDS), unique=True, max_size=3),
)
def test_listed_enis_attach_only_when_every_one_can_and_each_problem_is_named(
    wanted: list[str],
    found: list[NetworkInterface],
    world: list[Instance],
    going: dict[str, str],
    held_ids: list[str],
) -> None:
    command = DetachCommand(operation="attach", eni_ids=tuple(wanted), region=REGION, reason="r")
    held = {e: ref(e) for e in held_ids}
    by_id = {e.eni_id: e for e in found}
    by_instance = {i.instance_id: i for i in world}
    result = attach_preflight.listed(command, going, found, world, held, undo_of=5, **WHO)
    expected = [(e, oracle(e, by_id, going, by_instance, held)) for e in wanted]
    problems = [(e, p) for e, p in expected if p is not None]
    if problems:
        assert isinstance(result, Refused)
        assert [(p.eni_id, p.problem) for p in result.problems] == problems
        assert result.problem is problems[0][1] and result.undo_of == 5
        held_refs = [p.existing for p in result.problems if p.problem is Problem.OPEN_REQUEST]
        assert all(r is not None for r in held_refs)
    else:
        assert isinstance(result, Passed)
        new = result.new
        assert (new.operation, new.undo_of, new.region) == ("attach", 5, REGION)
        assert [(t.eni_id, t.instance_id) for t in new.targets] == [(e, going[e]) for e in wanted]
        assert all(t.eni_snapshot["status"] == "Available" for t in new.targets)


def test_an_attach_preflight_refuses_a_detach_command() -> None:
    command = DetachCommand(eni_ids=(ENI_IDS[0],), region=REGION, reason="r")
    with pytest.raises(ValueError, match="attach pre-flight"):
        attach_preflight.check(
            None,  # type: ignore[arg-type]  # refused before any lookup
            None,  # type: ignore[arg-type]
            command,
            allowed_regions=[REGION],
            max_enis=10,
            **WHO,
        )


# ---------------------------------------------------------------------------- who may undo


def _old(status: Status, targets: list[TargetStatus], operation: str = "detach") -> DetachRequest:
    return DetachRequest(
        id=7,
        operation=operation,
        region=REGION,
        requester_id="U0REQUESTER",
        channel_id="C0ENIOPS",
        reason="moving the app",
        status=status.value,
        targets=[
            RequestTarget(
                position=n, eni_id=ENI_IDS[n], instance_id=INSTANCES[n % 3], status=s.value
            )
            for n, s in enumerate(targets)
        ],
    )


DONE, FAILED, SKIPPED = TargetStatus.DONE, TargetStatus.FAILED, TargetStatus.SKIPPED


def test_an_undo_puts_back_the_enis_that_were_detached_each_to_its_own_instance() -> None:
    old = _old(Status.FAILED, [DONE, FAILED, DONE, SKIPPED])
    planned = undo.plan(old, request_id=7, actor_id="U0REQUESTER", actor_is_approver=False)
    assert isinstance(planned, undo.Undo)
    assert planned.command.operation == "attach"
    assert planned.command.eni_ids == (ENI_IDS[0], ENI_IDS[2])
    assert planned.destinations == {ENI_IDS[0]: INSTANCES[0], ENI_IDS[2]: INSTANCES[2]}
    assert planned.channel_id == "C0ENIOPS" and planned.command.region == REGION
    assert planned.command.reason == "Undo of request #7: moving the app"


@pytest.mark.parametrize(
    ("old", "actor", "approver", "refusal"),
    [
        (None, "U0REQUESTER", False, undo.UndoRefusal.NOT_FOUND),
        (_old(Status.DETACHED, [DONE]), "U0OTHER", False, undo.UndoRefusal.NOT_ALLOWED),
        (_old(Status.ATTACHED, [DONE], "attach"), "U0OTHER", True, undo.UndoRefusal.NOT_A_DETACH),
        (_old(Status.PENDING, [TargetStatus.QUEUED]), "U0REQUESTER", False, "not_finished"),
        (_old(Status.STUCK, [DONE, TargetStatus.STUCK]), "U0REQUESTER", False, "not_finished"),
        (_old(Status.CANCELLED, [SKIPPED]), "U0REQUESTER", False, "not_finished"),
        (_old(Status.FAILED, [FAILED, SKIPPED]), "U0OTHER", True, "nothing_detached"),
    ],
)
def test_who_may_undo_what(
    old: DetachRequest | None, actor: str, approver: bool, refusal: str
) -> None:
    planned = undo.plan(old, request_id=7, actor_id=actor, actor_is_approver=approver)
    assert isinstance(planned, undo.UndoRefused)
    assert (planned.refusal, planned.request_id) == (undo.UndoRefusal(refusal), 7)


def test_an_approver_may_undo_someone_elses_detach() -> None:
    old = _old(Status.DETACHED, [DONE])
    planned = undo.plan(old, request_id=7, actor_id="U0APPROVER", actor_is_approver=True)
    assert isinstance(planned, undo.Undo)
