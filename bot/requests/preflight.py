"""Pre-flight: everything checked before a detach request is stored, so a bad one never is.

Two kinds of command, two rules (CONTRACT.md, "Several ENIs in one request"):
- listed ENI IDs are taken as they are: any problem with any of them refuses the whole command,
  and the refusal names each problem (`Refused.problems`, in the order typed);
- a selection (an instance's secondary ENIs, or tagged ENIs) is what ECS's own filters return;
  what cannot be detached (primary, member, service-managed, not in a detachable state, on an
  instance that is not ready, already in an open request) is left out with its reason and goes
  on the card (`NewRequest.left_out`). A selection that keeps nothing, or more than
  `max_enis`, is refused with the counts.
Cheap checks first (region, size, open requests), then ECS. The outcome is data (`Passed`, or
`Refused` with a `Problem` and its facts); the Slack layer turns it into words. The rules
(`listed`, `selected`) are pure; `check` is the use case over the session factory and `Ecs`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.errors import EcsError
from bot.ecs.models import EniStatus, EniType, Instance, NetworkInterface
from bot.requests import repository, rules
from bot.requests.commands import DetachCommand
from bot.requests.ports import Ecs
from bot.requests.repository import OpenRequestRef
from bot.requests.rules import Problem
from bot.requests.schemas import LeftOut, NewRequest, NewTarget

__all__ = [
    "EniProblem",
    "OpenRequestRef",
    "Passed",
    "Refused",
    "check",
    "listed",
    "open_requests",
    "selected",
    "snapshot",
]

log = logging.getLogger(__name__)

# IDs per `IN (…)` when looking up open requests: well inside every dialect's parameter limit.
_LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class EniProblem:
    """Why one listed ENI cannot be detached."""

    eni_id: str
    problem: Problem
    facts: Mapping[str, Any] = field(default_factory=dict)
    existing: OpenRequestRef | None = None  # OPEN_REQUEST: the request that holds it


@dataclass(frozen=True)
class Refused:
    """Pre-flight said no; `facts` carries what the message needs (IDs, states, counts).

    `problem`, `facts` and `existing` are those of the first problem; `problems` lists every
    listed ENI's problem (one for a one-ENI command); `left_out` is what a selection that kept
    nothing found, each with its reason.
    """

    problem: Problem
    command: DetachCommand
    facts: Mapping[str, Any] = field(default_factory=dict)
    existing: OpenRequestRef | None = None
    error: EcsError | None = None
    problems: tuple[EniProblem, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    undo_of: int | None = None  # an undo's refusal: the detach request it would have put back

    @property
    def held_by(self) -> OpenRequestRef | None:
        """The one open request in the way, when nothing else is (a repeat of a command that
        already made it looks like this)."""
        if self.problem is Problem.OPEN_REQUEST:
            refs = {p.existing.id for p in self.problems if p.existing is not None}
            only_held = all(p.problem is Problem.OPEN_REQUEST for p in self.problems)
            return self.existing if only_held and len(refs) <= 1 else None
        if self.problem is Problem.NOTHING_SELECTED and self.existing is not None:
            return self.existing
        return None


@dataclass(frozen=True)
class Passed:
    """Pre-flight said yes: the request to store, with its targets' live details."""

    new: NewRequest


def check(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
    allowed_regions: Collection[str],
    max_enis: int,
) -> Passed | Refused:
    """Run every check, cheap ones first; the answer names every problem found."""
    if command.region not in allowed_regions:
        return Refused(
            Problem.REGION_NOT_ALLOWED, command, facts={"allowed": list(allowed_regions)}
        )
    if len(command.eni_ids) > max_enis:
        facts = {"selected": len(command.eni_ids), "limit": max_enis}
        return Refused(Problem.TOO_MANY_ENIS, command, facts=facts)
    who = {"requester_id": requester_id, "channel_id": channel_id}
    try:
        if command.is_selection:
            return _select(sessions, ecs, command, max_enis=max_enis, **who)
        return _listed(sessions, ecs, command, **who)
    except EcsError as exc:
        log.info("pre-flight ECS error code=%s request_id=%s", exc.code, exc.request_id)
        return Refused(Problem.ECS_ERROR, command, error=exc)


def open_requests(
    sessions: sessionmaker[Session], eni_ids: Iterable[str]
) -> dict[str, OpenRequestRef]:
    """The open request holding each of these ENIs that has one (one query per 500 IDs)."""
    ids = list(dict.fromkeys(eni_ids))
    found: dict[str, OpenRequestRef] = {}
    with db.read(sessions) as session:
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            held = repository.find_open_for_enis(session, ids[start : start + _LOOKUP_CHUNK])
            for eni_id, request in held.items():
                found[eni_id] = OpenRequestRef(
                    id=request.id,
                    eni_id=eni_id,
                    requester_id=request.requester_id,
                    channel_id=request.channel_id,
                    card_ts=request.card_ts,
                    status=request.status,
                )
    return found


def _listed(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
) -> Passed | Refused:
    held = open_requests(sessions, command.eni_ids)
    if len(command.eni_ids) == 1 and held:
        # One ENI already held: that is the whole answer, without asking ECS anything.
        return listed(command, [], [], held, requester_id=requester_id, channel_id=channel_id)
    wanted = [e for e in command.eni_ids if e not in held]
    enis = ecs.describe_network_interfaces(command.region, wanted) if wanted else []
    # Only the instances of ENIs that pass their own checks are asked about (as for one ENI).
    attached = {
        e.instance_id
        for e in enis
        if e.instance_id and rules.eni_problem(e, command.instance_id) is None
    }
    instances = ecs.describe_instances(command.region, sorted(attached)) if attached else []
    return listed(command, enis, instances, held, requester_id=requester_id, channel_id=channel_id)


def _select(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
    max_enis: int,
) -> Passed | Refused:
    region, named = command.region, command.instance_id
    instances: list[Instance] = []
    if named is not None:
        # The instance the person named: a problem with it is theirs to fix, not a leave-out.
        instances = ecs.describe_instances(region, [named])
        instance = next((i for i in instances if i.instance_id == named), None)
        problem = rules.instance_problem(instance, named)
        if problem is not None:
            return Refused(problem[0], command, facts=problem[1])
    if command.tags:
        found = ecs.find_network_interfaces(
            region,
            tags=dict(command.tags),
            instance_id=named,
            eni_type=EniType.SECONDARY,
            status=EniStatus.IN_USE,
        )
    else:
        found = ecs.find_network_interfaces(region, instance_id=named, eni_type=EniType.SECONDARY)
    held = open_requests(sessions, [e.eni_id for e in found])
    known = {i.instance_id for i in instances}
    others = sorted({e.instance_id for e in found if e.instance_id and e.instance_id not in known})
    if others:
        instances = [*instances, *ecs.describe_instances(region, others)]
    return selected(
        command,
        found,
        instances,
        held,
        max_enis=max_enis,
        requester_id=requester_id,
        channel_id=channel_id,
    )


# ---------------------------------------------------------------------------- the rules (pure)


def listed(
    command: DetachCommand,
    enis: Sequence[NetworkInterface],
    instances: Sequence[Instance],
    held: Mapping[str, OpenRequestRef],
    *,
    requester_id: str,
    channel_id: str,
) -> Passed | Refused:
    """Listed IDs: every one detachable, or a refusal naming each one that is not."""
    by_id = {e.eni_id: e for e in enis}
    by_instance = {i.instance_id: i for i in instances}
    problems: list[EniProblem] = []
    targets: list[NewTarget] = []
    for eni_id in command.eni_ids:
        if eni_id in held:
            problems.append(EniProblem(eni_id, Problem.OPEN_REQUEST, existing=held[eni_id]))
            continue
        eni = by_id.get(eni_id)
        if eni is None:
            problems.append(EniProblem(eni_id, Problem.ENI_NOT_FOUND, {"region": command.region}))
            continue
        instance, problem = _why_not(eni, by_instance, command.instance_id)
        if problem is not None:
            problems.append(EniProblem(eni_id, problem[0], problem[1]))
            continue
        assert instance is not None and eni.instance_id is not None  # _why_not checked both
        targets.append(NewTarget(eni_id, eni.instance_id, snapshot(eni, instance)))
    if problems:
        first = problems[0]
        return Refused(
            first.problem,
            command,
            facts=dict(first.facts),
            existing=first.existing,
            problems=tuple(problems),
        )
    return Passed(_new(command, targets, (), requester_id=requester_id, channel_id=channel_id))


def selected(
    command: DetachCommand,
    found: Sequence[NetworkInterface],
    instances: Sequence[Instance],
    held: Mapping[str, OpenRequestRef],
    *,
    max_enis: int,
    requester_id: str,
    channel_id: str,
) -> Passed | Refused:
    """A selection: what ECS found, less what cannot be detached (kept, with why, as left out)."""
    by_instance = {i.instance_id: i for i in instances}
    targets: list[NewTarget] = []
    left_out: list[LeftOut] = []
    holders: dict[int, OpenRequestRef] = {}
    for eni in sorted(found, key=lambda e: (e.instance_id or "", e.device_index or 0, e.eni_id)):
        labels = {"name": eni.name, "private_ip": eni.private_ip, "instance_id": eni.instance_id}
        ref = held.get(eni.eni_id)
        if ref is not None:
            holders.setdefault(ref.id, ref)
            facts = {**labels, "request_id": ref.id, "request_status": ref.status}
            left_out.append(LeftOut(eni.eni_id, Problem.OPEN_REQUEST.value, facts))
            continue
        instance, problem = _why_not(eni, by_instance, command.instance_id)
        if problem is not None:
            left_out.append(LeftOut(eni.eni_id, problem[0].value, {**labels, **problem[1]}))
            continue
        assert instance is not None and eni.instance_id is not None  # _why_not checked both
        targets.append(NewTarget(eni.eni_id, eni.instance_id, snapshot(eni, instance)))
    counts = {"found": len(found), "selected": len(targets), "limit": max_enis}
    if not targets:
        only_holder = next(iter(holders.values())) if len(holders) == 1 else None
        return Refused(
            Problem.NOTHING_SELECTED,
            command,
            facts=counts,
            existing=only_holder,
            left_out=tuple(left_out),
        )
    if len(targets) > max_enis:
        return Refused(Problem.TOO_MANY_ENIS, command, facts=counts)
    new = _new(command, targets, left_out, requester_id=requester_id, channel_id=channel_id)
    return Passed(new)


def _why_not(
    eni: NetworkInterface, by_instance: Mapping[str, Instance], wanted_instance: str | None
) -> tuple[Instance | None, tuple[Problem, dict[str, Any]] | None]:
    """The ENI's instance, and why the ENI cannot be detached from it now (None: it can)."""
    problem = rules.eni_problem(eni, wanted_instance)
    if problem is not None:
        return None, problem
    assert eni.instance_id is not None  # eni_problem refuses an ENI that is not attached
    instance = by_instance.get(eni.instance_id)
    return instance, rules.instance_problem(instance, eni.instance_id)


def _new(
    command: DetachCommand,
    targets: Sequence[NewTarget],
    left_out: Sequence[LeftOut],
    *,
    requester_id: str,
    channel_id: str,
) -> NewRequest:
    return NewRequest(
        region=command.region,
        requester_id=requester_id,
        channel_id=channel_id,
        reason=command.reason,
        targets=tuple(targets),
        left_out=tuple(left_out),
        selector=command.selector,
    )


def snapshot(eni: NetworkInterface, instance: Instance) -> dict[str, Any]:
    """The ENI's live details as stored with the request and shown on its card."""
    return {
        "name": eni.name,
        "description": eni.description,
        "status": eni.status_raw or eni.status.value,
        "type": eni.type_raw or eni.type.value,
        "private_ip": eni.private_ip,
        "vpc_id": eni.vpc_id,
        "vswitch_id": eni.vswitch_id,
        "zone_id": eni.zone_id,
        "security_group_ids": list(eni.security_group_ids),
        "tags": dict(eni.tags),
        "mac": eni.mac,
        "device_index": eni.device_index,
        "instance_name": instance.name,
        "instance_status": instance.status_raw or instance.status.value,
        "instance_type": instance.instance_type,
    }
