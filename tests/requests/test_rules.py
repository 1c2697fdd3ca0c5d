"""The pure rules, exhaustively: every ENI kind × state × attachment, every instance state, every
combination of exactly-once marks. Each expectation is written out here independently of the
code under test (an oracle in plain if/else), not derived from it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface
from bot.requests.rules import Marks, Next, Problem, decide, eni_problem, instance_problem

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HERE, ELSEWHERE = "i-here", "i-elsewhere"
WINDOW = 60.0


def eni(
    status: EniStatus,
    kind: EniType = EniType.SECONDARY,
    attached: str | None = HERE,
    managed: bool = False,
) -> NetworkInterface:
    return NetworkInterface(
        eni_id="eni-1",
        status=status,
        type=kind,
        instance_id=attached,
        region_id="cn-hangzhou",
        service_managed=managed,
    )


def instance(status: InstanceStatus) -> Instance:
    return Instance(instance_id=HERE, status=status, region_id="cn-hangzhou")


# ---- pre-flight ----


def expected_eni_problem(
    status: EniStatus, kind: EniType, attached: str | None, managed: bool, wanted: str | None
) -> Problem | None:
    if kind is EniType.PRIMARY:
        return Problem.PRIMARY_ENI
    if kind is EniType.MEMBER:
        return Problem.MEMBER_ENI
    if managed:
        return Problem.SERVICE_MANAGED
    if attached is None:
        return Problem.NOT_ATTACHED
    if wanted is not None and attached != wanted:
        return Problem.ATTACHED_ELSEWHERE
    if status not in (EniStatus.IN_USE, EniStatus.DETACHING):
        return Problem.ENI_STATE
    return None


@pytest.mark.parametrize(
    ("status", "kind", "attached", "managed", "wanted"),
    list(
        itertools.product(EniStatus, EniType, [HERE, ELSEWHERE, None], [False, True], [HERE, None])
    ),
)
def test_eni_problem_for_every_kind_state_and_attachment(
    status: EniStatus, kind: EniType, attached: str | None, managed: bool, wanted: str | None
) -> None:
    found = eni_problem(eni(status, kind, attached, managed), wanted)
    assert (found[0] if found else None) is expected_eni_problem(
        status, kind, attached, managed, wanted
    )


@pytest.mark.parametrize("status", [*InstanceStatus, None])
def test_instance_problem_for_every_state(status: InstanceStatus | None) -> None:
    found = instance_problem(None if status is None else instance(status), HERE)
    if status is None:
        assert found is not None and found[0] is Problem.INSTANCE_NOT_FOUND
    elif status in (InstanceStatus.RUNNING, InstanceStatus.STOPPED):
        assert found is None
    else:
        assert found is not None and found[0] is Problem.INSTANCE_STATE
        assert found[1]["instance_status"] == status.value


# ---- the executor's decision ----

INTENTS = {"none": None, "fresh": NOW - timedelta(seconds=10), "old": NOW - timedelta(seconds=90)}
MAYBE = {"none": None, "set": NOW - timedelta(seconds=200)}
SENT = {"none": None, "set": NOW - timedelta(seconds=300)}
BUSY = {"none": None, "recent": NOW - timedelta(seconds=30), "spent": NOW - timedelta(seconds=400)}
BUDGET = 300.0
ENIS = ["gone"] + [f"{s.value}@{a}" for s in EniStatus for a in ("here", "elsewhere", "none")]
INSTANCES = ["gone", *(s.value for s in InstanceStatus)]


def live_eni(spec: str) -> NetworkInterface | None:
    if spec == "gone":
        return None
    status, where = spec.split("@")
    attached = {"here": HERE, "elsewhere": ELSEWHERE, "none": None}[where]
    return eni(EniStatus(status), attached=attached)


def expected_next(eni_spec: str, inst: str, intent: str, maybe: str, sent: str, busy: str) -> Next:
    if eni_spec == "gone":
        return Next.FAIL
    status, where = eni_spec.split("@")
    may_have_detached = (intent, maybe, sent) != ("none", "none", "none")
    unsettled = intent != "none" or maybe != "none"
    if where != "here" or status == "Available":
        return Next.RECONCILE if may_have_detached else Next.FAIL
    if status == "Detaching" and unsettled:
        return Next.RECONCILE
    if intent == "fresh":
        return Next.WAIT
    if status not in ("InUse", "Detaching"):
        return Next.FAIL
    if inst == "gone":
        return Next.FAIL
    if inst not in ("Running", "Stopped"):
        return Next.BUSY
    if busy == "spent" and maybe != "none":
        return Next.FAIL  # unanswered Detaches for the whole budget: no more are sent
    return Next.SEND


def test_decide_for_every_live_state_and_mark() -> None:
    # One test over the whole product (7,560 cases): parametrizing it would cost seconds.
    for eni_spec, inst, intent, maybe, sent, busy in itertools.product(
        ENIS, INSTANCES, INTENTS, MAYBE, SENT, BUSY
    ):
        case = (eni_spec, inst, intent, maybe, sent, busy)
        marks = Marks(
            eni_id="eni-1",
            instance_id=HERE,
            region="cn-hangzhou",
            intent_at=INTENTS[intent],
            maybe_applied_at=MAYBE[maybe],
            sent_at=SENT[sent],
            busy_since=BUSY[busy],
        )
        live_instance = None if inst == "gone" else instance(InstanceStatus(inst))
        action = decide(
            marks,
            live_eni(eni_spec),
            live_instance,
            now=NOW,
            in_flight_window=WINDOW,
            busy_budget=BUDGET,
        )
        assert action.next is expected_next(*case), case
        if action.next is Next.WAIT:
            assert action.until == NOW - timedelta(seconds=10) + timedelta(seconds=WINDOW), case
        if action.next in (Next.FAIL, Next.BUSY):
            assert action.code and action.message, case


def test_a_detached_eni_is_never_failed_once_a_detach_may_have_applied() -> None:
    """The promise behind the table above, stated on its own."""
    for eni_spec, inst, intent, maybe, sent in itertools.product(
        ENIS, INSTANCES, INTENTS, MAYBE, SENT
    ):
        if eni_spec == "gone":
            continue
        status, where = eni_spec.split("@")
        if (status == "Available" or where != "here") and "set" in (maybe, sent):
            marks = Marks("eni-1", HERE, "r", INTENTS[intent], MAYBE[maybe], SENT[sent])
            live_instance = None if inst == "gone" else instance(InstanceStatus(inst))
            action = decide(
                marks, live_eni(eni_spec), live_instance, now=NOW, in_flight_window=WINDOW
            )
            assert action.next is Next.RECONCILE
