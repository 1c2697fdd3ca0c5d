"""Pre-flight's selection rules (pure): listed IDs stand or fall together; selections leave out.

`listed` and `selected` are functions of what ECS said and which ENIs open requests hold, so
they are checked here over generated worlds: every kind, state and attachment of ENI, every
instance state, any set of held ENIs, any limit. `rules.eni_problem` and
`rules.instance_problem` are the oracle for one ENI (tests/requests/test_rules.py checks them).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface
from bot.requests import rules
from bot.requests.commands import DetachCommand
from bot.requests.preflight import OpenRequestRef, Passed, Refused, listed, selected
from bot.requests.rules import Problem

REGION = "cn-hangzhou"
INSTANCES = ("i-aaaaaaaa01", "i-aaaaaaaa02", "i-aaaaaaaa03")
ENI_IDS = tuple(f"eni-bbbbbbbb{n:02d}" for n in range(12))
WHO: dict[str, Any] = {"requester_id": "U0REQUESTER", "channel_id": "C0ENIOPS"}


def ref(eni_id: str, request_id: int = 9) -> OpenRequestRef:
    return OpenRequestRef(request_id, eni_id, "U0OTHER", "C0ENIOPS", None, "pending")


@st.composite
def enis(draw: st.DrawFn, ids: tuple[str, ...]) -> NetworkInterface:
    """One ENI as Describe might return it: any kind, state, attachment."""
    eni_id = draw(st.sampled_from(ids))
    return NetworkInterface(
        eni_id=eni_id,
        status=draw(st.sampled_from(list(EniStatus))),
        type=draw(st.sampled_from(list(EniType))),
        instance_id=draw(st.none() | st.sampled_from(INSTANCES)),
        region_id=REGION,
        service_managed=draw(st.booleans()),
        device_index=draw(st.integers(0, 7)),
        name=draw(st.none() | st.just(f"name-{eni_id}")),
    )


@st.composite
def worlds(
    draw: st.DrawFn,
) -> tuple[list[NetworkInterface], list[Instance], dict[str, OpenRequestRef]]:
    found = draw(st.lists(enis(ENI_IDS), max_size=12, unique_by=lambda e: e.eni_id))
    instances = [
        Instance(
            instance_id=i,
            status=draw(st.sampled_from(list(InstanceStatus))),
            region_id=REGION,
        )
        for i in draw(st.lists(st.sampled_from(INSTANCES), unique=True))
    ]
    held_ids = draw(st.lists(st.sampled_from(ENI_IDS), unique=True, max_size=4))
    return found, instances, {e: ref(e) for e in held_ids}


def why_not(
    eni: NetworkInterface,
    instances: list[Instance],
    held: dict[str, OpenRequestRef],
    named: str | None = None,
) -> Problem | None:
    """The oracle: the first reason this ENI cannot be taken (open request first)."""
    if eni.eni_id in held:
        return Problem.OPEN_REQUEST
    problem = rules.eni_problem(eni, named)
    if problem is not None:
        return problem[0]
    assert eni.instance_id is not None
    instance = next((i for i in instances if i.instance_id == eni.instance_id), None)
    problem = rules.instance_problem(instance, eni.instance_id)
    return problem[0] if problem is not None else None


# ---------------------------------------------------------------------------- selections


@given(world=worlds(), limit=st.integers(1, 12), tagged=st.booleans())
def test_a_selection_takes_what_can_be_detached_and_leaves_out_the_rest_with_why(
    world: tuple[list[NetworkInterface], list[Instance], dict[str, OpenRequestRef]],
    limit: int,
    tagged: bool,
) -> None:
    found, instances, held = world
    command = DetachCommand(
        tags=(("app", "web"),) if tagged else (),
        instance_id=None if tagged else INSTANCES[0],
        region=REGION,
        reason="r",
    )
    outcome = selected(command, found, instances, held, max_enis=limit, **WHO)
    expected = {e.eni_id: why_not(e, instances, held, command.instance_id) for e in found}
    takeable = sorted(
        (e for e in found if expected[e.eni_id] is None),
        key=lambda e: (e.instance_id or "", e.device_index or 0, e.eni_id),
    )
    if not takeable:
        assert isinstance(outcome, Refused) and outcome.problem is Problem.NOTHING_SELECTED
        assert outcome.facts["found"] == len(found)
        assert {x.eni_id: x.problem for x in outcome.left_out} == {
            k: str(v) for k, v in expected.items()
        }
        return
    if len(takeable) > limit:
        assert isinstance(outcome, Refused) and outcome.problem is Problem.TOO_MANY_ENIS
        assert (outcome.facts["selected"], outcome.facts["limit"]) == (len(takeable), limit)
        return
    assert isinstance(outcome, Passed)
    new = outcome.new
    assert [t.eni_id for t in new.targets] == [e.eni_id for e in takeable]
    assert all(t.instance_id == e.instance_id for t, e in zip(new.targets, takeable, strict=True))
    # Each found ENI is taken or left out, never both, never neither.
    left = {x.eni_id: x.problem for x in new.left_out}
    assert left == {k: str(v) for k, v in expected.items() if v is not None}
    assert new.selector == command.selector and new.reason == "r"
    for x in new.left_out:
        if x.problem == Problem.OPEN_REQUEST:
            assert x.facts["request_id"] == 9


def test_a_selection_held_by_one_request_names_it_for_a_repeated_delivery() -> None:
    eni = NetworkInterface(
        eni_id=ENI_IDS[0],
        status=EniStatus.IN_USE,
        type=EniType.SECONDARY,
        instance_id=INSTANCES[0],
        region_id=REGION,
    )
    command = DetachCommand(instance_id=INSTANCES[0], region=REGION, reason="r")
    mine = OpenRequestRef(4, ENI_IDS[0], "U0REQUESTER", "C0ENIOPS", None, "pending")
    outcome = selected(command, [eni], [], {ENI_IDS[0]: mine}, max_enis=5, **WHO)
    assert isinstance(outcome, Refused) and outcome.held_by == mine


# ---------------------------------------------------------------------------- listed IDs


@given(
    world=worlds(),
    wanted=st.lists(st.sampled_from(ENI_IDS), min_size=1, max_size=6, unique=True),
    named=st.none() | st.sampled_from(INSTANCES),
)
def test_listed_enis_all_pass_or_every_problem_is_named_in_order(
    world: tuple[list[NetworkInterface], list[Instance], dict[str, OpenRequestRef]],
    wanted: list[str],
    named: str | None,
) -> None:
    found, instances, held = world
    command = DetachCommand(eni_ids=tuple(wanted), instance_id=named, region=REGION, reason="r")
    outcome = listed(command, found, instances, held, **WHO)
    by_id = {e.eni_id: e for e in found}

    def oracle(eni_id: str) -> Problem | None:
        if eni_id in held:
            return Problem.OPEN_REQUEST
        eni = by_id.get(eni_id)
        if eni is None:
            return Problem.ENI_NOT_FOUND
        problem = rules.eni_problem(eni, named)
        if problem is not None:
            return problem[0]
        return why_not(eni, instances, {})

    expected = [(e, oracle(e)) for e in wanted]
    bad = [(e, p) for e, p in expected if p is not None]
    if not bad:
        assert isinstance(outcome, Passed)
        assert [t.eni_id for t in outcome.new.targets] == wanted
        assert outcome.new.left_out == () and outcome.new.selector is None
        return
    assert isinstance(outcome, Refused)
    assert [(p.eni_id, p.problem) for p in outcome.problems] == bad
    assert outcome.problem is bad[0][1]
    held_ones = [p for p in outcome.problems if p.problem is Problem.OPEN_REQUEST]
    assert all(p.existing == held[p.eni_id] for p in held_ones)


def test_one_held_eni_is_refused_with_its_request() -> None:
    command = DetachCommand(eni_ids=(ENI_IDS[0],), region=REGION, reason="r")
    outcome = listed(command, [], [], {ENI_IDS[0]: ref(ENI_IDS[0])}, **WHO)
    assert isinstance(outcome, Refused)
    assert (outcome.problem, outcome.existing) == (Problem.OPEN_REQUEST, ref(ENI_IDS[0]))
    assert outcome.held_by == ref(ENI_IDS[0])


def test_held_by_is_none_when_anything_else_is_wrong() -> None:
    command = DetachCommand(eni_ids=ENI_IDS[:2], region=REGION, reason="r")
    outcome = listed(command, [], [], {ENI_IDS[0]: ref(ENI_IDS[0])}, **WHO)
    assert isinstance(outcome, Refused)
    assert [p.problem for p in outcome.problems] == [Problem.OPEN_REQUEST, Problem.ENI_NOT_FOUND]
    assert outcome.held_by is None
